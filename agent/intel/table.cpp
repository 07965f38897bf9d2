#include "intel/table.h"

#include <algorithm>
#include <string>
#include <string_view>
#include <unordered_map>

namespace badip::intel {
namespace {

constexpr U128 kV4Base = U128(0xffff) << 32;

struct Span {
  U128 first, last;
  std::uint32_t value;
  bool allow;
};

struct Interval {
  U128 first, last;
  PrefixTable::ResultId result;
};

// Interns value sets as result ids (see table.h for the encoding).
class SetInterner {
 public:
  SetInterner(std::vector<std::uint32_t>& pool, std::vector<std::pair<std::uint32_t, std::uint32_t>>& sets,
              std::uint32_t value_count)
      : pool_(pool), sets_(sets), single_(value_count, ~0u) {}

  PrefixTable::ResultId intern(std::vector<std::uint32_t>& vals) {
    if (vals.empty()) return 0;
    std::sort(vals.begin(), vals.end());
    vals.erase(std::unique(vals.begin(), vals.end()), vals.end());
    if (vals.size() == 1) {
      auto& off = single_[vals[0]];
      if (off == ~0u) {
        off = std::uint32_t(pool_.size());
        pool_.push_back(vals[0]);
      }
      return 0x80000000u | off;
    }
    std::string key(reinterpret_cast<const char*>(vals.data()), vals.size() * sizeof(std::uint32_t));
    auto [it, fresh] = multi_.try_emplace(std::move(key), 0);
    if (fresh) {
      it->second = std::uint32_t(sets_.size());
      sets_.emplace_back(std::uint32_t(pool_.size()), std::uint32_t(vals.size()));
      pool_.insert(pool_.end(), vals.begin(), vals.end());
    }
    return it->second;
  }

 private:
  std::vector<std::uint32_t>& pool_;
  std::vector<std::pair<std::uint32_t, std::uint32_t>>& sets_;
  std::vector<std::uint32_t> single_;
  std::unordered_map<std::string, std::uint32_t> multi_;
};

// Flattens possibly nested prefixes (in one family) into disjoint labelled
// intervals. Prefixes either nest or are disjoint, so a stack holds the
// chain covering the current position.
std::vector<Interval> flatten(std::vector<Span>& spans, SetInterner& interner, U128 space_last) {
  std::sort(spans.begin(), spans.end(), [](const Span& a, const Span& b) {
    if (a.first != b.first) return a.first < b.first;
    return a.last > b.last;  // outer first
  });
  std::vector<Interval> out;
  std::vector<const Span*> stack;
  std::vector<std::uint32_t> scratch;
  U128 cur = 0;
  bool finished = false;  // cur ran past the end of the space
  auto label = [&]() -> PrefixTable::ResultId {
    scratch.clear();
    for (const Span* s : stack) {
      if (s->allow) return 0;
      scratch.push_back(s->value);
    }
    return interner.intern(scratch);
  };
  auto emit = [&](U128 a, U128 b) {
    PrefixTable::ResultId r = label();
    if (r == 0) return;
    if (!out.empty() && out.back().result == r && out.back().last + 1 == a) {
      out.back().last = b;
    } else {
      out.push_back({a, b, r});
    }
  };
  auto close_until = [&](U128 limit, bool all) {
    while (!stack.empty() && (all || stack.back()->last < limit)) {
      U128 end = stack.back()->last;
      if (!finished && cur <= end) {
        emit(cur, end);
        if (end == space_last) finished = true;
        else cur = end + 1;
      }
      stack.pop_back();
    }
  };
  for (const Span& s : spans) {
    close_until(s.first, false);
    if (!stack.empty() && cur < s.first) emit(cur, s.first - 1);
    cur = s.first;
    stack.push_back(&s);
  }
  close_until(0, true);
  return out;
}

// Each first-level slot's intervals start where the previous slot's end:
// offsets are the running sum of the per-slot counts (65536 + 1 sentinel).
template <typename L1Vec>
void set_offsets(L1Vec& l1, const std::vector<std::uint32_t>& count) {
  std::uint32_t off = 0;
  for (std::uint32_t b = 0; b < 65536; ++b) {
    l1[b].offset = off;
    off += count[b];
  }
  l1[65536].offset = off;
}

template <typename T>
std::size_t bytes_of(const std::vector<T>& v) {
  return v.size() * sizeof(T);
}

}  // namespace

PrefixTable::PrefixTable() : l1_v4_(65537, L1{0, 0}), l1_v6_(65537, L1{0, 0}), sets_(1, Set{0, 0}) {}

PrefixTable PrefixTable::build(std::vector<Item> items, std::uint32_t value_count) {
  PrefixTable t;
  std::vector<Span> v4, v6;
  for (const auto& it : items) {
    Span s{it.prefix.first(), it.prefix.last(), it.value, it.allow};
    if (it.prefix.is_v4()) {
      s.first -= kV4Base;
      s.last -= kV4Base;
      v4.push_back(s);
    } else {
      v6.push_back(s);
    }
  }
  items.clear();
  items.shrink_to_fit();

  std::vector<std::pair<std::uint32_t, std::uint32_t>> sets(1, {0, 0});
  SetInterner interner(t.pool_, sets, value_count);
  auto iv4 = flatten(v4, interner, U128(0xffffffffu));
  auto iv6 = flatten(v6, interner, ~U128(0));
  v4.clear();
  v4.shrink_to_fit();
  v6.clear();
  v6.shrink_to_fit();
  t.sets_.clear();
  t.sets_.reserve(sets.size());
  for (auto& [o, c] : sets) t.sets_.push_back(Set{o, c});

  // IPv4 blocks: split intervals at /16 boundaries.
  {
    std::vector<std::uint32_t> count(65536, 0);
    std::vector<Iv4> flat;
    flat.reserve(iv4.size() + 16);
    std::vector<std::uint32_t> block_of;
    block_of.reserve(iv4.size() + 16);
    for (const auto& iv : iv4) {
      std::uint64_t s = std::uint64_t(iv.first), e = std::uint64_t(iv.last);
      while (s <= e) {
        std::uint32_t blk = std::uint32_t(s >> 16);
        std::uint64_t be = std::min<std::uint64_t>(e, (std::uint64_t(blk) << 16) | 0xffff);
        if ((s & 0xffff) == 0 && (be & 0xffff) == 0xffff) {
          t.l1_v4_[blk].dflt = iv.result;
        } else {
          flat.push_back(Iv4{std::uint16_t(s), std::uint16_t(be), iv.result});
          block_of.push_back(blk);
          ++count[blk];
        }
        s = be + 1;
      }
    }
    set_offsets(t.l1_v4_, count);
    t.iv4_ = std::move(flat);  // already in block order: intervals are sorted
  }
  // IPv6 blocks: the same on the top 16 bits.
  {
    std::vector<std::uint32_t> count(65536, 0);
    for (const auto& iv : iv6) {
      U128 s = iv.first, e = iv.last;
      while (true) {
        std::uint32_t blk = std::uint32_t(s >> 112);
        U128 blk_last = (U128(blk) << 112) | ((U128(1) << 112) - 1);
        U128 be = std::min(e, blk_last);
        if ((s & ((U128(1) << 112) - 1)) == 0 && be == blk_last) {
          t.l1_v6_[blk].dflt = iv.result;
        } else {
          t.iv6_key_.push_back(std::uint64_t(s >> 48));
          t.iv6_start_.push_back(s);
          t.iv6_tail_.push_back(Iv6Tail{be, iv.result});
          ++count[blk];
        }
        if (be == e) break;
        s = be + 1;
      }
    }
    set_offsets(t.l1_v6_, count);
  }
  t.stats_.l1_bytes = bytes_of(t.l1_v4_) + bytes_of(t.l1_v6_);
  t.stats_.interval_bytes = bytes_of(t.iv4_) + bytes_of(t.iv6_key_) + bytes_of(t.iv6_start_) + bytes_of(t.iv6_tail_);
  t.stats_.set_bytes = bytes_of(t.pool_) + bytes_of(t.sets_);
  t.stats_.v4_intervals = t.iv4_.size();
  t.stats_.v6_intervals = t.iv6_start_.size();
  t.stats_.match_sets = t.sets_.size() - 1;
  return t;
}

PrefixTable::ResultId PrefixTable::find_v4(std::uint32_t x) const {
  const L1* l1 = &l1_v4_[x >> 16];
  std::uint32_t n = l1[1].offset - l1[0].offset;
  if (n == 0) return l1->dflt;
  const Iv4* base = iv4_.data() + l1->offset;
  std::uint16_t lo = std::uint16_t(x);
  while (n > 1) {
    std::uint32_t half = n / 2;
    base = (base[half].start <= lo) ? base + half : base;
    n -= half;
  }
  return (base->start <= lo && lo <= base->end) ? base->result : 0;
}

// Index of the IPv6 interval that may hold v, or kNone / a final result.
std::uint32_t PrefixTable::locate_v6(U128 v, ResultId* direct) const {
  const L1* l1 = &l1_v6_[std::uint32_t(v >> 112)];
  std::uint32_t n = l1[1].offset - l1[0].offset;
  if (n == 0) {
    *direct = l1->dflt;
    return kNone;
  }
  const std::uint32_t off = l1->offset;
  const std::uint64_t* keys = iv6_key_.data() + off;
  const std::uint64_t x = std::uint64_t(v >> 48);
  std::uint32_t base = 0;
  while (n > 1) {
    std::uint32_t half = n / 2;
    base = (keys[base + half] <= x) ? base + half : base;
    n -= half;
  }
  *direct = 0;
  if (keys[base] > x) return kNone;
  std::uint32_t i = off + base;
  if (keys[base] == x) {
    // Intervals sharing the searched bits: step back to the last one that
    // really starts at or before v (rare: only within one /80).
    while (iv6_start_[i] > v) {
      if (i == off) return kNone;
      --i;
    }
  }
  return i;
}

PrefixTable::ResultId PrefixTable::find_v6(U128 v) const {
  ResultId r;
  std::uint32_t i = locate_v6(v, &r);
  if (i == kNone) return r;
  const Iv6Tail& t = iv6_tail_[i];
  return v <= t.end ? t.result : 0;
}

PrefixTable::ResultId PrefixTable::find(const IpAddress& a) const {
  if (a.is_v4()) return find_v4(a.v4_host_order());
  return find_v6(to_u128(a));
}

void PrefixTable::find_batch(const IpAddress* in, std::size_t n, ResultId* out) const {
  // Groups of kGroup: first touch every first-level entry, then prefetch
  // the blocks, then search. Each stage's misses overlap across the group.
  constexpr std::size_t kGroup = 16;
  for (std::size_t g = 0; g < n; g += kGroup) {
    std::size_t m = std::min(kGroup, n - g);
    const L1* l1[kGroup];
    for (std::size_t i = 0; i < m; ++i) {
      const IpAddress& a = in[g + i];
      l1[i] = a.is_v4() ? &l1_v4_[a.v4_host_order() >> 16] : &l1_v6_[(std::uint32_t(a.bytes()[0]) << 8) | a.bytes()[1]];
      __builtin_prefetch(l1[i]);
    }
    for (std::size_t i = 0; i < m; ++i) {
      std::uint32_t off = l1[i]->offset, cnt = l1[i][1].offset - off;
      if (cnt == 0) continue;
      if (in[g + i].is_v4()) {
        __builtin_prefetch(&iv4_[off + cnt / 2]);
        __builtin_prefetch(&iv4_[off]);
        __builtin_prefetch(&iv4_[off + cnt - 1]);
      } else {
        __builtin_prefetch(&iv6_key_[off + cnt / 2]);
        __builtin_prefetch(&iv6_key_[off]);
        __builtin_prefetch(&iv6_key_[off + cnt - 1]);
      }
    }
    // IPv6 takes one more stage: locate, prefetch the tail, then finish.
    std::uint32_t idx[kGroup];
    for (std::size_t i = 0; i < m; ++i) {
      const IpAddress& a = in[g + i];
      if (a.is_v4()) {
        out[g + i] = find_v4(a.v4_host_order());
        idx[i] = kNone;
      } else {
        idx[i] = locate_v6(to_u128(a), &out[g + i]);
        if (idx[i] != kNone) __builtin_prefetch(&iv6_tail_[idx[i]]);
      }
    }
    for (std::size_t i = 0; i < m; ++i) {
      if (idx[i] == kNone) continue;
      const Iv6Tail& t = iv6_tail_[idx[i]];
      out[g + i] = to_u128(in[g + i]) <= t.end ? t.result : 0;
    }
  }
}

}  // namespace badip::intel
