// The whole userspace path on one core, record to aggregate: raw
// badip_conn_event bytes ─► decode_event ─► intel lookup in a 10^6-entry
// feed set ─► (listed) enrich from cache ─► Summary::on_finding.
// Synthetic records at full speed; `bad_permille` of them from listed
// addresses. Also reports the process's RSS with the feed set loaded.
#include <benchmark/benchmark.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "badip/event.h"
#include "pipeline/pipeline.h"
#include "probe/decode.h"
#include "summary/store.h"

namespace {

using namespace badip;

constexpr std::size_t kEntries = 1'000'000;

double rss_mib() {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("VmRSS:", 0) == 0) return std::stod(line.substr(6)) / 1024.0;
  return 0;
}

// A feed set shaped like real ones: 90 % IPv4 hosts, 5 % IPv4 CIDRs /20-/28,
// 5 % IPv6 /48-/128, written as two plain feeds; returns the listed hosts.
struct FeedSet {
  std::filesystem::path dir;
  std::vector<std::uint32_t> hosts;
  std::unique_ptr<intel::Intel> intel;
  double rss_before = 0, rss_after = 0;

  FeedSet() {
    dir = std::filesystem::temp_directory_path() / ("badip-bench-feeds-" + std::to_string(getpid()));
    std::filesystem::create_directories(dir);
    std::mt19937_64 rng(7);
    std::ofstream a(dir / "hosts.txt"), b(dir / "nets.txt");
    // public-looking first octets only, so private/bogon exclusion keeps them
    auto pub = [&] {
      for (;;) {
        std::uint32_t x = std::uint32_t(rng());
        std::uint32_t o = x >> 24;
        if (o == 0 || o == 10 || o == 127 || o >= 224 || o == 100 || o == 169 || o == 172 || o == 192) continue;
        return x;
      }
    };
    for (std::size_t i = 0; i < kEntries; ++i) {
      std::uint32_t r = std::uint32_t(rng() % 100);
      if (r < 90) {
        std::uint32_t h = pub();
        hosts.push_back(h);
        a << (h >> 24) << '.' << ((h >> 16) & 255) << '.' << ((h >> 8) & 255) << '.' << (h & 255) << '\n';
      } else if (r < 95) {
        int len = 20 + int(rng() % 9);
        std::uint32_t n = pub() & ~((1u << (32 - len)) - 1);
        b << (n >> 24) << '.' << ((n >> 16) & 255) << '.' << ((n >> 8) & 255) << '.' << (n & 255) << '/' << len
          << '\n';
      } else {
        b << "2a0" << (rng() % 9 + 1) << ':' << std::hex << (rng() & 0xffff) << ':' << (rng() & 0xffff) << "::"
          << (rng() & 0xffff) << std::dec << '/' << (48 + rng() % 81 / 16 * 16) << '\n';
      }
    }
    a.close();
    b.close();
    rss_before = rss_mib();
    intel::IntelOptions o;
    o.feed_args = {"hosts=" + (dir / "hosts.txt").string(), "nets=" + (dir / "nets.txt").string()};
    auto loaded = intel::Intel::load(o, [](intel::LogLevel, const std::string&) {});
    if (loaded) intel = std::move(*loaded);
    rss_after = rss_mib();
  }
  ~FeedSet() { std::filesystem::remove_all(dir); }
};

FeedSet& feeds() {
  static FeedSet f;
  return f;
}

std::vector<badip_conn_event> records(const FeedSet& f, int bad_permille, std::size_t n = 1 << 16) {
  std::mt19937_64 rng(42);
  std::vector<badip_conn_event> out(n);
  for (std::size_t i = 0; i < n; ++i) {
    badip_conn_event& r = out[i];
    std::memset(&r, 0, sizeof(r));
    r.hdr.ts_ns = 1'000'000'000ull + i * 1000;
    r.hdr.kind = (i % 2) ? BADIP_EV_CLOSE : BADIP_EV_OPEN;
    r.hdr.version = BADIP_EVENT_VERSION;
    r.hdr.size = sizeof(r);
    r.hdr.mode = BADIP_MODE_TRACEPOINT;
    r.sock_id = i / 2;
    bool bad = int(rng() % 1000) < bad_permille;
    std::uint32_t remote = bad ? f.hosts[rng() % f.hosts.size()] : std::uint32_t(rng());
    r.raddr[10] = r.raddr[11] = r.laddr[10] = r.laddr[11] = 0xff;
    for (int k = 0; k < 4; ++k) r.raddr[12 + k] = std::uint8_t(remote >> (24 - 8 * k));
    r.laddr[12] = 192, r.laddr[13] = 0, r.laddr[14] = 2, r.laddr[15] = 1;
    r.direction = (rng() % 4) ? BADIP_DIR_IN : BADIP_DIR_OUT;
    r.lport = r.direction == BADIP_DIR_IN ? 22 : 40000;
    r.rport = r.direction == BADIP_DIR_IN ? 50000 : 443;
    r.family = 2;
    r.owner = BADIP_OWNER_TASK;
    r.tgid = r.pid = 1000 + std::uint32_t(rng() % 16);
    std::snprintf(r.comm, sizeof(r.comm), "proc%u", r.tgid % 16);
    if (r.hdr.kind == BADIP_EV_CLOSE) r.bytes_received = rng() % 20000, r.bytes_acked = rng() % 20000;
  }
  return out;
}

void BM_RecordToAggregate(benchmark::State& state) {
  FeedSet& f = feeds();
  if (!f.intel) {
    state.SkipWithError("feed set did not load");
    return;
  }
  auto recs = records(f, int(state.range(0)));
  auto dir = f.dir / ("state-" + std::to_string(state.range(0)));
  auto store = summary::StateStore::open(dir.string());
  summary::ManualClock clock(1'796'256'000LL * 1'000'000'000);
  summary::SummaryConfig cfg;
  cfg.host = "bench";
  auto sum = summary::Summary::open(cfg, **store, clock, {});
  if (!store || !sum) {
    state.SkipWithError("state store");
    return;
  }
  EventPipeline pipeline(*f.intel, **sum, nullptr, "/nonexistent-proc");
  const std::int64_t offset = 1'796'256'000LL * 1'000'000'000;
  std::size_t i = 0;
  std::uint64_t bad = 0;
  for (auto _ : state) {
    auto ev = decode_event(std::as_bytes(std::span(&recs[i], 1)), offset);
    if (ev) pipeline.on_event(*ev);
    if (++i == recs.size()) i = 0;
  }
  bad = pipeline.findings();
  state.SetItemsProcessed(std::int64_t(state.iterations()));
  state.counters["findings"] = double(bad);
  state.counters["rss_MiB"] = rss_mib();
  state.counters["feed_set_MiB"] = f.rss_after - f.rss_before;
}
BENCHMARK(BM_RecordToAggregate)->Arg(0)->Arg(10)->Arg(1000)->ArgName("bad_permille");

}  // namespace

BENCHMARK_MAIN();
