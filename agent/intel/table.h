#pragma once
// PrefixTable: longest-prefix match over IPv4 and IPv6 that answers "which
// values cover this address" in one walk. Built once, then immutable.
//
// At build time every prefix is flattened ("leaf pushing"): the address space
// is cut into disjoint intervals, each labelled with the full set of values of
// all prefixes covering it (nested ones included; an allow prefix empties the
// set). A lookup then finds the one interval holding the address.
//
//   IPv4 (32 bits)   [ hi 16 bits ][ lo 16 bits ]
//                          |
//          l1_v4_[hi] = {offset, dflt}      65537 x 8 B = 512 KiB, cache resident
//                          |  count = l1[hi+1].offset - offset
//            count == 0 ──►  result = dflt  (the whole /16 is one interval)
//            count  > 0 ──►  iv4_[offset .. offset+count): {start16, end16, result}
//                            sorted, disjoint; branchless binary search on lo
//                            (~2 cache lines for a feed-shaped /16)
//
//   IPv6: the same with the top 16 bits as the first level; a block is
//   searched on the next 64 bits only (iv6_key_, 8 B per interval, dense),
//   full 128-bit starts are read only when two intervals share those bits,
//   and {end, result} sit together in one 32-byte tail.
//
// A result is a u32: 0 = nothing; top bit set = one value held at
// pool_[result & ~kSingle]; otherwise sets_[result] = {offset, count} in pool_.
// A /32 host costs one 8-byte interval plus one 4-byte pool slot.
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "intel/prefix.h"

namespace badip::intel {

class PrefixTable {
 public:
  using ResultId = std::uint32_t;

  struct Item {
    Prefix prefix;
    std::uint32_t value = 0;  // caller's id, dense 0..n-1
    bool allow = false;       // an allow prefix hides every value it covers
  };

  struct Stats {
    std::size_t l1_bytes = 0;
    std::size_t interval_bytes = 0;
    std::size_t set_bytes = 0;
    std::size_t v4_intervals = 0;
    std::size_t v6_intervals = 0;
    std::size_t match_sets = 0;
    std::size_t total_bytes() const { return l1_bytes + interval_bytes + set_bytes; }
  };

  PrefixTable();
  // `value_count` bounds the values used by items (for the singleton index).
  static PrefixTable build(std::vector<Item> items, std::uint32_t value_count);

  ResultId find(const IpAddress& a) const;
  // Interleaved lookups with prefetch: hides the cache misses of one lookup
  // behind the others. out[i] = find(in[i]).
  void find_batch(const IpAddress* in, std::size_t n, ResultId* out) const;
  ResultId find_v4(std::uint32_t host_order) const;

  std::span<const std::uint32_t> values(ResultId r) const {
    if (r == 0) return {};
    if (r & kSingle) return {pool_.data() + (r & ~kSingle), 1};
    const auto& s = sets_[r];
    return {pool_.data() + s.offset, s.count};
  }
  std::span<const std::uint32_t> lookup(const IpAddress& a) const { return values(find(a)); }

  const Stats& stats() const { return stats_; }

 private:
  static constexpr ResultId kSingle = 0x80000000u;
  struct L1 {
    std::uint32_t offset;
    ResultId dflt;
  };
  struct Iv4 {
    std::uint16_t start, end;
    ResultId result;
  };
  struct Set {
    std::uint32_t offset, count;
  };

  static constexpr std::uint32_t kNone = ~0u;
  ResultId find_v6(U128 v) const;
  std::uint32_t locate_v6(U128 v, ResultId* direct) const;

  std::vector<L1> l1_v4_, l1_v6_;
  std::vector<Iv4> iv4_;
  struct Iv6Tail {
    U128 end;
    ResultId result;
  };
  std::vector<std::uint64_t> iv6_key_;  // bits 48..111 of each start
  std::vector<U128> iv6_start_;
  std::vector<Iv6Tail> iv6_tail_;
  std::vector<std::uint32_t> pool_;
  std::vector<Set> sets_;
  Stats stats_;
};

}  // namespace badip::intel
