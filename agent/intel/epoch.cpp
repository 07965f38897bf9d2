#include "intel/epoch.h"

#include <thread>

namespace badip::intel {

struct ThreadSlot {
  EpochDomain* domain = nullptr;
  int index = -1;  // -1: not claimed yet, -2: none free (overflow counter)
  int depth = 0;
  ~ThreadSlot() {
    if (domain && index >= 0) domain->slots_[index].owned.store(false, std::memory_order_release);
  }
};

namespace {
thread_local ThreadSlot t_slot;
}

EpochDomain& EpochDomain::global() {
  static EpochDomain d;
  return d;
}

void EpochDomain::enter() {
  ThreadSlot& t = t_slot;
  if (t.depth++ > 0) return;
  if (t.index == -1) {
    t.domain = this;
    t.index = -2;
    for (int i = 0; i < kSlots; ++i) {
      bool expected = false;
      if (!slots_[i].owned.load(std::memory_order_relaxed) &&
          slots_[i].owned.compare_exchange_strong(expected, true, std::memory_order_acq_rel)) {
        t.index = i;
        break;
      }
    }
  }
  if (t.index >= 0) {
    slots_[t.index].epoch.store(epoch_.load(std::memory_order_seq_cst), std::memory_order_seq_cst);
  } else {
    overflow_readers_.fetch_add(1, std::memory_order_seq_cst);
  }
}

void EpochDomain::leave() {
  ThreadSlot& t = t_slot;
  if (--t.depth > 0) return;
  if (t.index >= 0) {
    slots_[t.index].epoch.store(kIdle, std::memory_order_release);
  } else {
    overflow_readers_.fetch_sub(1, std::memory_order_release);
  }
}

EpochDomain::Guard::Guard(EpochDomain& d) : domain_(&d) { d.enter(); }
EpochDomain::Guard::~Guard() {
  if (domain_) domain_->leave();
}

void EpochDomain::synchronize() {
  std::uint64_t target = epoch_.fetch_add(1, std::memory_order_seq_cst) + 1;
  for (auto& s : slots_) {
    while (true) {
      std::uint64_t e = s.epoch.load(std::memory_order_seq_cst);
      if (e == kIdle || e >= target) break;
      std::this_thread::yield();
    }
  }
  while (overflow_readers_.load(std::memory_order_seq_cst) != 0) std::this_thread::yield();
}

}  // namespace badip::intel
