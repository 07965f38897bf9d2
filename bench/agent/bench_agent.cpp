// Events/s of the userspace aggregate path on one core, driven by synthetic
// records: enrich from the cache, Finding, aggregate. The intel lookup and
// ring-buffer decode belong to other parts; the lead adds them to the
// whole-pipeline figure. Non-findings only bump a counter here (that is all
// the summary part does with them): no allocation, no /proc read.
#include <benchmark/benchmark.h>
#include <unistd.h>

#include <filesystem>
#include <random>
#include <vector>

#include "enrich/process.h"
#include "summary/aggregator.h"
#include "summary/summary.h"

namespace {

using namespace badip;
using namespace badip::summary;

constexpr std::int64_t kDay0 = 1'796'256'000LL * 1'000'000'000;

// A pool of synthetic events: `bad_permille` of them from listed addresses.
struct Workload {
  std::vector<ConnEvent> events;
  std::vector<bool> listed;
  std::vector<FeedHit> hits{FeedHit{"lab", "attacker", 90, "203.0.113.0/24", {}}};
  explicit Workload(int bad_permille, std::size_t n = 1 << 16) {
    std::mt19937_64 rng(42);
    events.reserve(n);
    for (std::size_t i = 0; i < n; ++i) {
      ConnEvent ev;
      bool bad = int(rng() % 1000) < bad_permille;
      ev.kind = (i % 2) ? EventKind::Close : EventKind::Open;
      ev.direction = (rng() % 4) ? Direction::In : Direction::Out;
      ev.owner = Owner::Task;
      ev.wall_ns = kDay0 + std::int64_t(i) * 1000;
      ev.sock_id = i / 2;
      ev.remote = bad ? IpAddress::v4(0xCB007100u | std::uint32_t(rng() % 64))  // 203.0.113.x
                      : IpAddress::v4(std::uint32_t(rng()));
      ev.local = IpAddress::v4(0xC0000201u);
      ev.local_port = ev.direction == Direction::In ? std::uint16_t(rng() % 2 ? 22 : 443) : 40000;
      ev.remote_port = ev.direction == Direction::In ? 50000 : 443;
      ev.tgid = 1000 + std::uint32_t(rng() % 16);  // 16 processes: cache hits after warm-up
      ev.pid = ev.tgid;
      ev.uid = 0;
      std::snprintf(ev.comm.data(), ev.comm.size(), "proc%u", ev.tgid % 16);
      ev.bytes_received = ev.kind == EventKind::Close ? rng() % 20000 : 0;
      ev.bytes_sent = ev.kind == EventKind::Close ? rng() % 20000 : 0;
      events.push_back(ev);
      listed.push_back(bad);
    }
  }
};

// enrich (cache) + aggregate, per event; non-findings counted only.
void BM_AggregatePath(benchmark::State& state) {
  Workload w(int(state.range(0)));
  enrich::ProcessCache cache("/nonexistent-proc");  // no /proc reads: kernel identity only
  Aggregator agg("web-1", "node-a");
  std::uint64_t non_findings = 0;
  std::size_t i = 0;
  for (auto _ : state) {
    const ConnEvent& ev = w.events[i];
    if (w.listed[i]) {
      auto proc = cache.lookup(ev.tgid, ev.uid, ev.comm_view(), ev.cgroup_id);
      agg.add(Finding::from_event(ev, proc.get(), w.hits));
    } else {
      ++non_findings;
    }
    if (++i == w.events.size()) i = 0;
  }
  benchmark::DoNotOptimize(non_findings);
  state.SetItemsProcessed(std::int64_t(state.iterations()));
  state.counters["bad_ips"] = double(agg.summary().ips.size());
}
BENCHMARK(BM_AggregatePath)->Arg(0)->Arg(1)->Arg(10)->Arg(1000)->ArgName("bad_permille");

// Findings only, through summary::Summary (lock, clock, window check).
void BM_SummaryOnFinding(benchmark::State& state) {
  Workload w(1000);
  auto dir = std::filesystem::temp_directory_path() / ("badip-bench-" + std::to_string(getpid()));
  std::filesystem::remove_all(dir);
  auto store = StateStore::open(dir.string());
  if (!store) {
    state.SkipWithError(store.error().message().c_str());
    return;
  }
  ManualClock clock(kDay0);
  SummaryConfig cfg;
  cfg.host = "web-1";
  auto sum = Summary::open(cfg, **store, clock, {});
  if (!sum) {
    state.SkipWithError(sum.error().message().c_str());
    return;
  }
  enrich::ProcessCache cache("/nonexistent-proc");
  std::size_t i = 0;
  for (auto _ : state) {
    ConnEvent ev = w.events[i];
    ev.wall_ns = kDay0;
    auto proc = cache.lookup(ev.tgid, ev.uid, ev.comm_view(), ev.cgroup_id);
    (*sum)->on_finding(Finding::from_event(ev, proc.get(), w.hits));
    if (++i == w.events.size()) i = 0;
  }
  state.SetItemsProcessed(std::int64_t(state.iterations()));
  sum->reset();
  store->reset();
  std::filesystem::remove_all(dir);
}
BENCHMARK(BM_SummaryOnFinding);

void BM_ProcessCacheHit(benchmark::State& state) {
  enrich::ProcessCache cache("/nonexistent-proc");
  for (std::uint32_t p = 0; p < 256; ++p) (void)cache.lookup(p, 0, "nginx", 1);
  std::uint32_t p = 0;
  for (auto _ : state) {
    auto info = cache.lookup(p, 0, "nginx", 1);
    benchmark::DoNotOptimize(info.get());
    p = (p + 1) & 255;
  }
  state.SetItemsProcessed(std::int64_t(state.iterations()));
}
BENCHMARK(BM_ProcessCacheHit);

// Flush cost of a busy window (every 5 s in the agent).
void BM_FlushWindow(benchmark::State& state) {
  Workload w(1000, 1 << 14);
  auto dir = std::filesystem::temp_directory_path() / ("badip-bench-flush-" + std::to_string(getpid()));
  std::filesystem::remove_all(dir);
  auto store = StateStore::open(dir.string());
  ManualClock clock(kDay0);
  SummaryConfig cfg;
  cfg.host = "web-1";
  auto sum = Summary::open(cfg, **store, clock, {});
  enrich::ProcessCache cache("/nonexistent-proc");
  for (auto ev : w.events) {
    ev.wall_ns = kDay0;
    auto proc = cache.lookup(ev.tgid, ev.uid, ev.comm_view(), ev.cgroup_id);
    (*sum)->on_finding(Finding::from_event(ev, proc.get(), w.hits));
  }
  for (auto _ : state) {
    (*sum)->add_lookups_skipped(1);  // makes it dirty
    benchmark::DoNotOptimize((*sum)->flush().ok());
  }
  state.counters["entities"] = 0;
  for (const auto& [ip, g] : (*sum)->snapshot().ips) state.counters["entities"] += double(g.entities.size());
  sum->reset();
  store->reset();
  std::filesystem::remove_all(dir);
}
BENCHMARK(BM_FlushWindow)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
