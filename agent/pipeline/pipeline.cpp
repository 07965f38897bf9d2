#include "pipeline/pipeline.h"

#include <chrono>

#include "export/metrics.h"

namespace badip {

std::vector<summary::FeedHit> to_feed_hits(const intel::Matches& m) {
  std::vector<summary::FeedHit> hits;
  hits.reserve(m.size());
  for (const intel::Entry& e : m) {
    summary::FeedHit h;
    h.feed = e.feed->name;
    h.category = e.feed->category;
    h.confidence = e.feed->confidence;
    h.prefix = e.prefix.to_string();
    h.metadata.assign(e.meta.begin(), e.meta.end());
    hits.push_back(std::move(h));
  }
  return hits;
}

EventPipeline::EventPipeline(const intel::Intel& intel, summary::Summary& summary, exporter::Metrics* metrics,
                             std::string proc_root)
    : intel_(intel), summary_(summary), metrics_(metrics), processes_(std::move(proc_root)) {}

void EventPipeline::on_event(const ConnEvent& ev) {
  using Clock = std::chrono::steady_clock;
  const bool timed = metrics_ != nullptr && (events_ % kTimingSample) == 0;
  Clock::time_point t0;
  if (timed) t0 = Clock::now();
  ++events_;
  ++pending_events_;
  if (ev.kind == EventKind::Open) ++(ev.direction == Direction::In ? pending_in_ : pending_out_);

  auto reader = intel_.reader();
  intel::Matches m = reader.lookup(ev.remote);
  if (timed) metrics_->observe_lookup_seconds(std::chrono::duration<double>(Clock::now() - t0).count());
  if (m.empty()) return;

  ++findings_;
  const auto& hits = hits_for(m, reader.snapshot().generation());
  std::shared_ptr<const enrich::ProcessInfo> proc;
  if (ev.owner != Owner::Unknown && ev.tgid != 0)
    proc = processes_.lookup(ev.tgid, ev.uid, ev.comm_view(), ev.cgroup_id);
  summary_.on_finding(summary::Finding::from_event(ev, proc.get(), hits));
  if (metrics_ == nullptr) return;
  if (ev.kind == EventKind::Open) {
    // the service port: the listener's for inbound, the server's for outbound
    std::uint16_t port = ev.direction == Direction::In ? ev.local_port : ev.remote_port;
    std::string_view name = proc ? std::string_view(proc->comm) : std::string_view("unknown");
    for (const auto& h : hits) metrics_->bad_ip_connection(ev.direction, h.feed, name, port);
  }
  if (timed) metrics_->observe_processing_seconds(std::chrono::duration<double>(Clock::now() - t0).count());
}

const std::vector<summary::FeedHit>& EventPipeline::hits_for(const intel::Matches& m, std::uint64_t generation) {
  if (generation != hits_generation_ || hits_cache_.size() >= kHitsCacheMax) {
    hits_cache_.clear();  // a new snapshot: the old sets' identities are gone
    hits_generation_ = generation;
  }
  auto [it, inserted] = hits_cache_.try_emplace(m.identity());
  if (inserted || it->second.size() != m.size()) it->second = to_feed_hits(m);
  return it->second;
}

void EventPipeline::on_login(const LoginEvent& ev) {
  auto reader = intel_.reader();
  intel::Matches m = reader.lookup(ev.address);
  if (m.empty()) return;
  auto hits = to_feed_hits(m);
  summary_.on_login(ev, hits);
  if (metrics_) metrics_->ssh_auth_from_bad_ip(ev.result);
}

void EventPipeline::flush_metrics() {
  if (metrics_ == nullptr) return;
  if (pending_events_) metrics_->events_processed(pending_events_);
  if (pending_in_) metrics_->connections_observed(Direction::In, pending_in_);
  if (pending_out_) metrics_->connections_observed(Direction::Out, pending_out_);
  pending_events_ = pending_in_ = pending_out_ = 0;
}

}  // namespace badip
