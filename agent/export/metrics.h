#pragma once
// Prometheus metrics of the agent, and the /metrics HTTP endpoint.
//
//   exporter::Metrics metrics("0.1.0");           // owns a prometheus::Registry
//   auto server = exporter::MetricsServer::start(":9469", metrics.registry());
//   if (!server) -> one-line error (e.g. port in use), exit non-zero
//
// Names follow Prometheus conventions: base units (seconds, bytes), counters
// end in _total. No label ever carries an IP address; the bad-IP counter's
// label sets are capped (kMaxBadIpSeries) so cardinality stays bounded.
//
//   badip_connections_observed_total{direction}           every open event seen
//   badip_bad_ip_connections_total{direction,feed,process,port}
//        port: the service port (local listening port inbound, remote port outbound)
//   badip_events_processed_total                          ring-buffer records handled
//   badip_ringbuf_drops_total                             records the kernel could not queue
//   badip_lookup_duration_seconds                         histogram, per intel lookup
//   badip_event_processing_duration_seconds               histogram, record -> aggregate
//   badip_feed_entries{feed}                              entries loaded per feed
//   badip_feed_reloads_total{result="success|failure"}
//   badip_feed_last_successful_reload_timestamp_seconds
//   badip_attach_mode_info{mode}                          1 for the mode in use
//   badip_build_info{version}                             1
//   badip_ssh_auth_bad_ip_total{result}                   success|failure|invalid_user|preauth_abort
//   badip_ssh_unparsed_lines_total                        sshd lines not understood
//   badip_alerts_total{kind="window|immediate"}
//
// Hot path: the counters cost an atomic add each; the run loop should add per
// ring-buffer batch (events_processed(n)) and may sample the histograms.
// Thread-safe.
#include <array>
#include <cstdint>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <string_view>
#include <tuple>

#include "badip/result.h"
#include "probe/conn_event.h"
#include "sshd/login_event.h"

namespace prometheus {
class Registry;
class Counter;
class Gauge;
class Histogram;
template <typename T>
class Family;
class Exposer;
}  // namespace prometheus

namespace badip::exporter {

class Metrics {
 public:
  explicit Metrics(std::string_view version);
  ~Metrics();
  Metrics(const Metrics&) = delete;
  Metrics& operator=(const Metrics&) = delete;

  std::shared_ptr<prometheus::Registry> registry() const { return registry_; }
  // The exposition text, as a scrape would return it.
  std::string serialize() const;

  void connections_observed(Direction d, std::uint64_t n = 1);
  void events_processed(std::uint64_t n);
  void bad_ip_connection(Direction d, std::string_view feed, std::string_view process, std::uint16_t port);
  // The kernel's cumulative drop count (sum over CPUs): the counter follows it.
  void set_ringbuf_drops_total(std::uint64_t total);
  void observe_lookup_seconds(double s);
  void observe_processing_seconds(double s);
  void set_feed_entries(std::string_view feed, std::uint64_t entries);
  void feed_reload(bool success, double unix_seconds);
  void set_attach_mode(AttachMode mode);
  void ssh_auth_from_bad_ip(LoginResult r);
  void ssh_unparsed_lines(std::uint64_t n = 1);
  void alert_emitted(std::string_view kind);

  static constexpr std::size_t kMaxBadIpSeries = 1000;

 private:
  std::shared_ptr<prometheus::Registry> registry_;
  prometheus::Family<prometheus::Counter>* observed_;
  prometheus::Family<prometheus::Counter>* bad_;
  prometheus::Family<prometheus::Gauge>* feed_entries_;
  prometheus::Family<prometheus::Counter>* reloads_;
  prometheus::Family<prometheus::Gauge>* attach_mode_;
  prometheus::Family<prometheus::Counter>* ssh_auth_;
  prometheus::Family<prometheus::Counter>* alerts_;
  prometheus::Counter* observed_in_;
  prometheus::Counter* observed_out_;
  prometheus::Counter* events_;
  prometheus::Counter* drops_;
  prometheus::Counter* unparsed_;
  prometheus::Gauge* last_reload_;
  prometheus::Histogram* lookup_;
  prometheus::Histogram* processing_;
  std::mutex mu_;  // guards the members below
  std::uint64_t drops_seen_ = 0;
  std::set<std::tuple<int, std::string, std::string, std::uint16_t>> bad_series_;
};

// Serves /metrics over HTTP. Address: "HOST:PORT", ":PORT" (all IPv4
// addresses) or "[V6]:PORT"; port 0 picks a free one (see port()).
class MetricsServer {
 public:
  static Result<std::unique_ptr<MetricsServer>> start(const std::string& address,
                                                      std::shared_ptr<prometheus::Registry> registry);
  ~MetricsServer();
  MetricsServer(const MetricsServer&) = delete;
  MetricsServer& operator=(const MetricsServer&) = delete;
  int port() const;

 private:
  explicit MetricsServer(std::unique_ptr<prometheus::Exposer> e);
  std::unique_ptr<prometheus::Exposer> exposer_;
};

}  // namespace badip::exporter
