#pragma once
// EventPipeline: the agent's per-event work, between the ring buffer and the
// window summary (DESIGN.md "Data flow"):
//
//   ConnEvent ─► intel lookup ─► (listed?) ─► enrich (cache) ─► Summary::on_finding
//   LoginEvent ─► intel lookup ─► (listed?) ─► Summary::on_login
//
// `badip run` feeds it from the probe and the sshd log; bench/agent drives
// it with synthetic records. Most events are not findings: for those it is
// one wait-free lookup and a local counter. Prometheus counters are added
// per batch (flush_metrics), and timing histograms are sampled, so the hot
// path takes no lock. One thread; not thread-safe.
#include <cstdint>
#include <unordered_map>
#include <vector>

#include "enrich/process.h"
#include "intel/intel.h"
#include "probe/conn_event.h"
#include "sshd/login_event.h"
#include "summary/summary.h"

namespace badip::exporter {
class Metrics;
}

namespace badip {

// The feeds that list an address, as the summary records them.
std::vector<summary::FeedHit> to_feed_hits(const intel::Matches& m);

class EventPipeline {
 public:
  // metrics may be null (benchmarks); proc_root is where process details are read.
  EventPipeline(const intel::Intel& intel, summary::Summary& summary, exporter::Metrics* metrics,
                std::string proc_root = "/proc");

  void on_event(const ConnEvent& ev);
  void on_login(const LoginEvent& ev);
  // Adds the counters gathered since the last call to the metrics.
  void flush_metrics();

  std::uint64_t events() const { return events_; }
  std::uint64_t findings() const { return findings_; }

  static constexpr std::uint64_t kTimingSample = 64;  // one event in 64 is timed

 private:
  const intel::Intel& intel_;
  summary::Summary& summary_;
  exporter::Metrics* metrics_;
  // The feed hits of recently seen match sets, keyed by the set's identity in
  // the snapshot (its id array), so repeated findings do not rebuild strings.
  const std::vector<summary::FeedHit>& hits_for(const intel::Matches& m, std::uint64_t generation);
  std::unordered_map<const void*, std::vector<summary::FeedHit>> hits_cache_;
  std::uint64_t hits_generation_ = ~0ull;
  static constexpr std::size_t kHitsCacheMax = 4096;

  enrich::ProcessCache processes_;
  std::uint64_t events_ = 0;
  std::uint64_t findings_ = 0;
  std::uint64_t pending_events_ = 0, pending_in_ = 0, pending_out_ = 0;
};

}  // namespace badip
