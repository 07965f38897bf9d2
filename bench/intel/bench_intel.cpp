// Intel prefix table benchmark: build time, bytes per entry, lookups on one
// core for mostly-miss IPv4, all-hit IPv4 and IPv6, against a sorted-vector
// baseline and the kernel's LPM trie (BPF_PROG_TEST_RUN, lookups looped in
// the kernel). Prints a ratio summary at the end. Figures, not tests.
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <map>
#include <memory>
#include <random>
#include <string>

#include <benchmark/benchmark.h>

#include "intel/table.h"

using namespace badip::intel;
using badip::IpAddress;

namespace {

constexpr std::size_t kProbes = 1 << 16;  // lookup addresses per run (matches the BPF program)

struct Dataset {
  std::vector<PrefixTable::Item> items;
  std::vector<IpAddress> miss_v4, hit_v4, miss_v6, hit_v6;
  std::unique_ptr<PrefixTable> table;
  // Baseline: prefixes sorted by first address; an address is a hit when the
  // prefix with the greatest start <= address covers it (ignores nesting).
  std::vector<std::pair<std::uint32_t, std::uint32_t>> base_v4;
  std::vector<std::pair<U128, U128>> base_v6;
  double build_seconds = 0;
};

// Feed-shaped: 85 % IPv4 (95 % /32 hosts, 5 % /16../24 blocks), 15 % IPv6
// (70 % /128, 30 % /32../48).
Dataset make(std::size_t n) {
  Dataset d;
  std::mt19937_64 rng(n);
  for (std::size_t i = 0; i < n; ++i) {
    Prefix p;
    if (rng() % 100 < 85) {
      std::uint32_t a = std::uint32_t(rng());
      unsigned len = rng() % 100 < 95 ? 32 : 16 + unsigned(rng() % 9);
      a &= len == 32 ? ~0u : ~(0xffffffffu >> len);
      p = Prefix{IpAddress::v4(a), std::uint8_t(len)};
    } else {
      U128 v = (U128(0x2000 | (rng() & 0x1fff)) << 112) | (U128(rng() & 0xffffffffffffULL) << 64) | U128(rng());
      unsigned len = rng() % 100 < 70 ? 128 : 32 + unsigned(rng() % 17);
      if (len < 128) v &= ~((U128(1) << (128 - len)) - 1);
      p = Prefix{from_u128(v), std::uint8_t(len)};
    }
    d.items.push_back({p, std::uint32_t(i), false});
  }
  auto t0 = std::chrono::steady_clock::now();
  d.table = std::make_unique<PrefixTable>(PrefixTable::build(d.items, std::uint32_t(n)));
  d.build_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::vector<const Prefix*> v4, v6;
  for (const auto& it : d.items) (it.prefix.is_v4() ? v4 : v6).push_back(&it.prefix);
  for (std::size_t i = 0; i < kProbes; ++i) {
    d.miss_v4.push_back(IpAddress::v4(std::uint32_t(rng())));
    d.miss_v6.push_back(
        from_u128((U128(0x2000 | (rng() & 0x1fff)) << 112) | (U128(rng() & 0xffffffffffffULL) << 64) | U128(rng())));
    const Prefix* a = v4[rng() % v4.size()];
    d.hit_v4.push_back(from_u128(a->first() + (U128(rng()) % (a->last() - a->first() + 1))));
    const Prefix* b = v6[rng() % v6.size()];
    U128 span = b->last() - b->first();
    d.hit_v6.push_back(from_u128(b->first() + (span == ~U128(0) ? U128(rng()) : (U128(rng()) % (span + 1)))));
  }
  for (const Prefix* p : v4)
    d.base_v4.emplace_back(std::uint32_t(p->first()), std::uint32_t(p->last()));
  for (const Prefix* p : v6) d.base_v6.emplace_back(p->first(), p->last());
  std::sort(d.base_v4.begin(), d.base_v4.end());
  std::sort(d.base_v6.begin(), d.base_v6.end());
  return d;
}

Dataset& data(std::size_t n) {
  static std::map<std::size_t, Dataset> cache;
  auto it = cache.find(n);
  if (it == cache.end()) it = cache.emplace(n, make(n)).first;
  return it->second;
}

const std::vector<IpAddress>& probes(Dataset& d, int kind) {
  switch (kind) {
    case 0: return d.miss_v4;
    case 1: return d.hit_v4;
    case 2: return d.miss_v6;
    default: return d.hit_v6;
  }
}
const char* kKindName[] = {"v4_miss", "v4_hit", "v6_miss", "v6_hit"};

void set_rate(benchmark::State& st, std::size_t lookups) {
  st.counters["ns_per_lookup"] =
      benchmark::Counter(double(lookups), benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
  st.counters["ns_per_lookup"].value *= 1;  // seconds per lookup; the summary converts
}

void BM_build(benchmark::State& st) {
  std::size_t n = std::size_t(st.range(0));
  auto& d = data(n);
  for (auto _ : st) {
    auto items = d.items;
    auto t = PrefixTable::build(std::move(items), std::uint32_t(n));
    benchmark::DoNotOptimize(t.stats().total_bytes());
  }
  st.counters["bytes_per_entry"] = double(d.table->stats().total_bytes()) / double(n);
  st.counters["entries"] = double(n);
}

// Only /32 hosts: the "bytes per /32 entry" figure.
void BM_bytes_per_host(benchmark::State& st) {
  std::size_t n = std::size_t(st.range(0));
  std::mt19937_64 rng(7);
  std::vector<PrefixTable::Item> items;
  for (std::size_t i = 0; i < n; ++i) items.push_back({Prefix{IpAddress::v4(std::uint32_t(rng())), 32}, std::uint32_t(i), false});
  PrefixTable t;
  for (auto _ : st) t = PrefixTable::build(items, std::uint32_t(n));
  st.counters["bytes_per_entry"] = double(t.stats().total_bytes()) / double(n);
  st.counters["bytes_per_entry_excl_l1"] = double(t.stats().total_bytes() - t.stats().l1_bytes) / double(n);
}

void BM_table_single(benchmark::State& st) {
  auto& d = data(std::size_t(st.range(0)));
  const auto& p = probes(d, int(st.range(1)));
  std::size_t hits = 0;
  for (auto _ : st) {
    for (const auto& a : p) hits += d.table->find(a) != 0;
  }
  benchmark::DoNotOptimize(hits);
  set_rate(st, st.iterations() * p.size());
  st.SetLabel(kKindName[st.range(1)]);
}

void BM_table_batch(benchmark::State& st) {
  auto& d = data(std::size_t(st.range(0)));
  const auto& p = probes(d, int(st.range(1)));
  std::vector<PrefixTable::ResultId> out(256);
  std::size_t hits = 0;
  for (auto _ : st) {
    for (std::size_t i = 0; i < p.size(); i += 256) {
      d.table->find_batch(p.data() + i, 256, out.data());
      hits += out[0] != 0;
    }
  }
  benchmark::DoNotOptimize(hits);
  set_rate(st, st.iterations() * p.size());
  st.SetLabel(kKindName[st.range(1)]);
}

void BM_sorted_vector(benchmark::State& st) {
  auto& d = data(std::size_t(st.range(0)));
  int kind = int(st.range(1));
  const auto& p = probes(d, kind);
  std::size_t hits = 0;
  for (auto _ : st) {
    for (const auto& a : p) {
      if (a.is_v4()) {
        std::uint32_t x = a.v4_host_order();
        auto it = std::upper_bound(d.base_v4.begin(), d.base_v4.end(), std::make_pair(x, ~0u));
        hits += it != d.base_v4.begin() && std::prev(it)->second >= x;
      } else {
        U128 x = to_u128(a);
        auto it = std::upper_bound(d.base_v6.begin(), d.base_v6.end(), std::make_pair(x, ~U128(0)));
        hits += it != d.base_v6.begin() && std::prev(it)->second >= x;
      }
    }
  }
  benchmark::DoNotOptimize(hits);
  set_rate(st, st.iterations() * p.size());
  st.SetLabel(kKindName[kind]);
}

// The kernel LPM trie, one loaded object per table size.
struct KernelLpm {
  bpf_object* obj = nullptr;
  int prog_fd = -1, v4_fd = -1, v6_fd = -1, probes_fd = -1;
  std::string error;
  ~KernelLpm() {
    if (obj) bpf_object__close(obj);
  }
};

struct V6Key {
  std::uint32_t prefixlen;
  std::uint8_t addr[16];
};

KernelLpm* kernel(std::size_t n) {
  static std::map<std::size_t, std::unique_ptr<KernelLpm>> cache;
  auto& slot = cache[n];
  if (slot) return slot.get();
  slot = std::make_unique<KernelLpm>();
  KernelLpm& k = *slot;
  k.obj = bpf_object__open_file(LPM_BENCH_OBJ, nullptr);
  if (!k.obj || bpf_object__load(k.obj) != 0) {
    k.error = "cannot load " LPM_BENCH_OBJ;
    return &k;
  }
  k.prog_fd = bpf_program__fd(bpf_object__find_program_by_name(k.obj, "run_lookups"));
  k.v4_fd = bpf_map__fd(bpf_object__find_map_by_name(k.obj, "lpm_v4"));
  k.v6_fd = bpf_map__fd(bpf_object__find_map_by_name(k.obj, "lpm_v6"));
  k.probes_fd = bpf_map__fd(bpf_object__find_map_by_name(k.obj, "probes"));
  for (const auto& it : data(n).items) {
    V6Key key{};
    std::uint32_t val = it.value;
    key.prefixlen = it.prefix.len;
    const auto& b = it.prefix.addr.bytes();
    if (it.prefix.is_v4()) {
      std::memcpy(key.addr, b.data() + 12, 4);
      bpf_map_update_elem(k.v4_fd, &key, &val, BPF_ANY);
    } else {
      std::memcpy(key.addr, b.data(), 16);
      bpf_map_update_elem(k.v6_fd, &key, &val, BPF_ANY);
    }
  }
  return &k;
}

void BM_kernel_lpm(benchmark::State& st) {
  std::size_t n = std::size_t(st.range(0));
  int kind = int(st.range(1));
  KernelLpm* k = kernel(n);
  if (!k->error.empty()) {
    st.SkipWithError(k->error.c_str());
    return;
  }
  const auto& p = probes(data(n), kind);
  for (std::uint32_t i = 0; i < kProbes; ++i) {
    V6Key key{};
    key.prefixlen = 128;
    const auto& b = p[i].bytes();
    if (p[i].is_v4()) std::memcpy(key.addr, b.data() + 12, 4);
    else std::memcpy(key.addr, b.data(), 16);
    bpf_map_update_elem(k->probes_fd, &i, &key, BPF_ANY);
  }
  std::uint64_t args[2] = {kProbes, kind >= 2 ? 1u : 0u};
  std::size_t lookups = 0;
  for (auto _ : st) {
    LIBBPF_OPTS(bpf_test_run_opts, opts, .ctx_in = args, .ctx_size_in = sizeof(args));
    // CPU time (the benchmark default, includes the in-kernel time of this
    // thread), like every other row: the machine is shared, wall time is noisy.
    int rc = bpf_prog_test_run_opts(k->prog_fd, &opts);
    if (rc != 0) {
      st.SkipWithError("BPF_PROG_TEST_RUN failed");
      return;
    }
    st.counters["hits"] = double(opts.retval);
    lookups += kProbes;
  }
  set_rate(st, lookups);
  st.SetLabel(kKindName[kind]);
}

void sizes_kinds(benchmark::internal::Benchmark* b) {
  for (long n : {10000L, 100000L, 1000000L})
    for (long k : {0L, 1L, 2L, 3L}) b->Args({n, k});
}

BENCHMARK(BM_build)->Arg(10000)->Arg(100000)->Arg(1000000)->Unit(benchmark::kMillisecond)->Iterations(3);
BENCHMARK(BM_bytes_per_host)->Arg(1000000)->Unit(benchmark::kMillisecond)->Iterations(1);
BENCHMARK(BM_table_single)->Apply(sizes_kinds);
BENCHMARK(BM_table_batch)->Apply(sizes_kinds);
BENCHMARK(BM_sorted_vector)->Apply(sizes_kinds);
BENCHMARK(BM_kernel_lpm)->Apply(sizes_kinds)->Iterations(5);

// Collects ns/lookup per (benchmark, size, kind) for the ratio summary.
class Collector : public benchmark::ConsoleReporter {
 public:
  std::map<std::string, double> ns;
  std::map<std::string, double> extra;
  void ReportRuns(const std::vector<Run>& runs) override {
    ConsoleReporter::ReportRuns(runs);
    for (const auto& r : runs) {
      auto c = r.counters.find("ns_per_lookup");
      if (c != r.counters.end()) ns[r.benchmark_name()] = c->second.value * 1e9;
      auto b = r.counters.find("bytes_per_entry");
      if (b != r.counters.end()) extra[r.benchmark_name() + " bytes/entry"] = b->second.value;
      if (r.benchmark_name().rfind("BM_build", 0) == 0) {
        extra[r.benchmark_name() + " build ms (cpu)"] = r.GetAdjustedCPUTime();
        extra[r.benchmark_name() + " build ms (wall)"] = r.GetAdjustedRealTime();
      }
    }
  }
};

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  Collector rep;
  benchmark::RunSpecifiedBenchmarks(&rep);
  std::printf("\n== intel table summary (ns per lookup; ratio = reference / ours) ==\n");
  for (long n : {10000L, 100000L, 1000000L}) {
    for (int k = 0; k < 4; ++k) {
      auto key = [&](const char* b) {
        std::string s = std::string(b) + "/" + std::to_string(n) + "/" + std::to_string(k);
        return s;
      };
      double single = rep.ns[key("BM_table_single")], batch = rep.ns[key("BM_table_batch")];
      double base = rep.ns[key("BM_sorted_vector")], kern = rep.ns[key("BM_kernel_lpm") + "/iterations:5"];
      double best = batch > 0 && (single == 0 || batch < single) ? batch : single;
      std::printf("n=%-8ld %-8s single=%7.1f batch=%7.1f sorted_vector=%7.1f kernel_lpm=%8.1f  "
                  "vs_sorted=%5.1fx vs_kernel=%6.1fx\n",
                  n, kKindName[k], single, batch, base, kern, best > 0 ? base / best : 0.0,
                  best > 0 ? kern / best : 0.0);
    }
  }
  for (const auto& [k, v] : rep.extra) std::printf("%s = %.2f\n", k.c_str(), v);
  benchmark::Shutdown();
  return 0;
}
