#pragma once
// Epoch-based reclamation for immutable snapshots: readers never block and
// never wait; a writer that retired a snapshot waits until every reader that
// could still see it has left. Written with std::atomic only (no liburcu), so
// ThreadSanitizer sees every synchronising operation.
//
// Reader:  slot = current epoch (seq_cst store), then load the pointer.
// Writer:  exchange the pointer, bump the epoch, wait until no slot holds an
//          epoch older than the new one, then free the old snapshot.
// Because both sides use seq_cst, a reader that loaded the old pointer had
// published its (older) epoch before the writer's scan, so the writer waits.
#include <atomic>
#include <cstdint>

namespace badip::intel {

class EpochDomain {
 public:
  static EpochDomain& global();

  // RAII read-side section. Nestable; cheap (one store on entry and exit).
  // Must stay on the thread that created it.
  class Guard {
   public:
    explicit Guard(EpochDomain& d);
    ~Guard();
    Guard(const Guard&) = delete;
    Guard& operator=(const Guard&) = delete;
    Guard(Guard&& o) noexcept : domain_(o.domain_) { o.domain_ = nullptr; }
    Guard& operator=(Guard&&) = delete;

   private:
    EpochDomain* domain_;
  };

  // Waits for every read-side section that started before this call.
  void synchronize();

  static constexpr std::uint64_t kIdle = ~std::uint64_t(0);
  static constexpr int kSlots = 512;

 private:
  struct alignas(64) Slot {
    std::atomic<std::uint64_t> epoch{kIdle};
    std::atomic<bool> owned{false};
  };
  friend struct ThreadSlot;
  void enter();
  void leave();

  Slot slots_[kSlots];
  std::atomic<std::uint64_t> epoch_{1};
  // Readers on threads beyond kSlots share this counter: still wait-free for
  // them, a writer then waits for it to reach zero.
  std::atomic<std::uint64_t> overflow_readers_{0};
};

}  // namespace badip::intel
