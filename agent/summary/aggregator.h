#pragma once
// Folding findings and ssh logins into the open window, and the severity policy.
//
// The run loop builds a Finding for every open/close event whose remote
// address the intel lookup listed (non-findings never come here), and passes
// LoginEvents whose address is listed with the same feed hits. Aggregator is
// pure: no clock, no I/O; summary::Summary (summary.h) drives it.
//
//   Finding f = Finding::from_event(ev, proc.get(), hits);
//   aggregator.add(f);
//   aggregator.add_login(login, hits, now_ns);
//   policy.apply(aggregator.summary());   // severities and reasons
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "enrich/process.h"
#include "probe/conn_event.h"
#include "sshd/login_event.h"
#include "summary/model.h"

namespace badip::summary {

// A connection event whose remote address is listed. Views only: build it on
// the stack per event; nothing is copied unless the event is aggregated.
struct Finding {
  EventKind kind = EventKind::Open;
  Direction direction = Direction::In;
  std::int64_t wall_ns = 0;
  std::uint64_t sock_id = 0;
  IpAddress remote;
  std::uint16_t remote_port = 0;
  IpAddress local;
  std::uint16_t local_port = 0;
  std::uint64_t bytes_received = 0;  // close only
  std::uint64_t bytes_sent = 0;      // close only
  std::uint64_t duration_ns = 0;     // close only
  const enrich::ProcessInfo* process = nullptr;  // nullptr: owner unknown
  std::span<const FeedHit> feeds;

  static Finding from_event(const ConnEvent& ev, const enrich::ProcessInfo* process,
                            std::span<const FeedHit> feeds);
};

// --public-service: "nginx:443", "nginx" (any port) or ":443" (any process).
struct PublicService {
  std::string name;
  std::optional<std::uint16_t> port;
  std::string text() const;
};
std::optional<PublicService> parse_public_service(std::string_view text);

class SeverityPolicy {
 public:
  explicit SeverityPolicy(std::vector<PublicService> public_services = {})
      : public_(std::move(public_services)) {}
  // Sets every entity's and bad IP's severity and reasons:
  //  inbound to a declared public service  -> info ("customer-facing; scanning is expected")
  //  inbound to sshd                       -> high (listed first among equals)
  //  inbound to any other service          -> high (exposed but not declared public)
  //  outbound to a listed address          -> high
  //  a connection over the large-transfer threshold raises one level
  //  failed ssh logins                     -> high; a successful one -> critical
  void apply(WindowSummary& w) const;
  const std::vector<PublicService>& public_services() const { return public_; }

 private:
  const PublicService* match(const Entity& e) const;
  std::vector<PublicService> public_;
};

bool is_sshd(const Entity& e);

class Aggregator {
 public:
  Aggregator(std::string host, std::string node, std::uint64_t large_transfer_bytes = 10240);

  void add(const Finding& f);
  // Returns true when the login succeeded (the caller raises an immediate alert).
  bool add_login(const LoginEvent& ev, std::span<const FeedHit> feeds, std::int64_t now_ns);
  void add_ringbuf_drops(std::uint64_t n) { w_.ringbuf_drops += n; }
  void add_lookups_skipped(std::uint64_t n) { w_.lookups_skipped += n; }

  WindowSummary& summary() { return w_; }
  const WindowSummary& summary() const { return w_; }

  // Ends the current window and starts `next`: returns the finished summary.
  // Connections still open move to the new window's carried-over set, so
  // their close adds bytes there without counting them again.
  WindowSummary roll(std::int64_t next_start_ns, std::int64_t next_end_ns);

  // The open-connection bookkeeping, persisted beside the summary.
  nlohmann::json sockets_json() const;
  void restore(WindowSummary w, const nlohmann::json& sockets);

  static constexpr std::size_t kMaxTrackedSockets = 1 << 20;

 private:
  EntityRef entity_of(const Finding& f) const;
  IpSummary& ip_group(const IpAddress& ip, std::span<const FeedHit> feeds);

  std::string host_;
  std::string node_;
  std::uint64_t large_;
  WindowSummary w_;
  std::unordered_set<std::uint64_t> open_;     // counted in this window, not closed yet
  std::unordered_set<std::uint64_t> carried_;  // counted in the previous window, not closed yet
};

}  // namespace badip::summary
