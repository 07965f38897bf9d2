#include "export/metrics.h"

#include <prometheus/counter.h>
#include <prometheus/exposer.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>

#include <fmt/core.h>

namespace badip::exporter {
namespace {

const char* direction_label(Direction d) { return d == Direction::In ? "in" : "out"; }

const char* mode_label(AttachMode m) {
  switch (m) {
    case AttachMode::Fentry: return "fentry";
    case AttachMode::Kprobe: return "kprobe";
    case AttachMode::Tracepoint: return "tracepoint";
  }
  return "unknown";
}

const char* login_label(LoginResult r) {
  switch (r) {
    case LoginResult::Success: return "success";
    case LoginResult::Failure: return "failure";
    case LoginResult::InvalidUser: return "invalid_user";
    case LoginResult::PreauthAbort: return "preauth_abort";
  }
  return "unknown";
}

}  // namespace

Metrics::Metrics(std::string_view version) : registry_(std::make_shared<prometheus::Registry>()) {
  using namespace prometheus;
  auto& r = *registry_;
  observed_ = &BuildCounter().Name("badip_connections_observed_total")
                   .Help("Connections seen by the probe (open events), by direction").Register(r);
  observed_in_ = &observed_->Add({{"direction", "in"}});
  observed_out_ = &observed_->Add({{"direction", "out"}});
  bad_ = &BuildCounter().Name("badip_bad_ip_connections_total")
              .Help("Connections with a listed remote address, by direction, feed, process name and service port")
              .Register(r);
  events_ = &BuildCounter().Name("badip_events_processed_total")
                 .Help("Ring-buffer records processed").Register(r).Add({});
  drops_ = &BuildCounter().Name("badip_ringbuf_drops_total")
                .Help("Records the kernel could not queue to the ring buffer (lost)").Register(r).Add({});
  lookup_ = &BuildHistogram().Name("badip_lookup_duration_seconds")
                 .Help("Time of one intel lookup").Register(r)
                 .Add({}, Histogram::BucketBoundaries{5e-8, 1e-7, 2.5e-7, 5e-7, 1e-6, 2.5e-6, 1e-5, 1e-4, 1e-3});
  processing_ = &BuildHistogram().Name("badip_event_processing_duration_seconds")
                     .Help("Time from ring-buffer record to aggregate").Register(r)
                     .Add({}, Histogram::BucketBoundaries{1e-7, 1e-6, 1e-5, 1e-4, 1e-3, 1e-2, 1e-1});
  feed_entries_ = &BuildGauge().Name("badip_feed_entries").Help("Entries loaded, by feed").Register(r);
  reloads_ = &BuildCounter().Name("badip_feed_reloads_total").Help("Feed set reloads, by result").Register(r);
  reloads_->Add({{"result", "success"}});
  reloads_->Add({{"result", "failure"}});
  last_reload_ = &BuildGauge().Name("badip_feed_last_successful_reload_timestamp_seconds")
                      .Help("Unix time of the last successful feed reload").Register(r).Add({});
  attach_mode_ = &BuildGauge().Name("badip_attach_mode_info")
                      .Help("The kernel attach mode in use (value 1)").Register(r);
  BuildGauge().Name("badip_build_info").Help("Build information (value 1)").Register(r)
      .Add({{"version", std::string(version)}}).Set(1);
  ssh_auth_ = &BuildCounter().Name("badip_ssh_auth_bad_ip_total")
                   .Help("sshd authentication outcomes from listed addresses, by result").Register(r);
  for (auto res : {LoginResult::Success, LoginResult::Failure, LoginResult::InvalidUser, LoginResult::PreauthAbort}) {
    ssh_auth_->Add({{"result", login_label(res)}});
  }
  unparsed_ = &BuildCounter().Name("badip_ssh_unparsed_lines_total")
                   .Help("sshd log lines that were not understood").Register(r).Add({});
  alerts_ = &BuildCounter().Name("badip_alerts_total").Help("Alerts emitted, by kind").Register(r);
  alerts_->Add({{"kind", "window"}});
  alerts_->Add({{"kind", "immediate"}});
}

Metrics::~Metrics() = default;

std::string Metrics::serialize() const { return prometheus::TextSerializer().Serialize(registry_->Collect()); }

void Metrics::connections_observed(Direction d, std::uint64_t n) {
  (d == Direction::In ? observed_in_ : observed_out_)->Increment(double(n));
}

void Metrics::events_processed(std::uint64_t n) { events_->Increment(double(n)); }

void Metrics::bad_ip_connection(Direction d, std::string_view feed, std::string_view process, std::uint16_t port) {
  std::lock_guard lock(mu_);
  auto key = std::make_tuple(int(d), std::string(feed), std::string(process), port);
  std::string port_label = std::to_string(port);
  if (!bad_series_.contains(key)) {
    if (bad_series_.size() >= kMaxBadIpSeries) {
      // bounded cardinality: fold the excess into one series per direction and feed
      std::get<2>(key) = "other";
      port_label = "other";
    }
    bad_series_.insert(key);
  }
  bad_->Add({{"direction", direction_label(d)}, {"feed", std::get<1>(key)}, {"process", std::get<2>(key)},
             {"port", port_label}})
      .Increment();
}

void Metrics::set_ringbuf_drops_total(std::uint64_t total) {
  std::lock_guard lock(mu_);
  if (total > drops_seen_) drops_->Increment(double(total - drops_seen_));
  drops_seen_ = std::max(drops_seen_, total);
}

void Metrics::observe_lookup_seconds(double s) { lookup_->Observe(s); }
void Metrics::observe_processing_seconds(double s) { processing_->Observe(s); }

void Metrics::set_feed_entries(std::string_view feed, std::uint64_t entries) {
  feed_entries_->Add({{"feed", std::string(feed)}}).Set(double(entries));
}

void Metrics::feed_reload(bool success, double unix_seconds) {
  reloads_->Add({{"result", success ? "success" : "failure"}}).Increment();
  if (success) last_reload_->Set(unix_seconds);
}

void Metrics::set_attach_mode(AttachMode mode) {
  for (auto m : {AttachMode::Fentry, AttachMode::Kprobe, AttachMode::Tracepoint}) {
    attach_mode_->Add({{"mode", mode_label(m)}}).Set(m == mode ? 1 : 0);
  }
}

void Metrics::ssh_auth_from_bad_ip(LoginResult r) { ssh_auth_->Add({{"result", login_label(r)}}).Increment(); }
void Metrics::ssh_unparsed_lines(std::uint64_t n) { unparsed_->Increment(double(n)); }
void Metrics::alert_emitted(std::string_view kind) { alerts_->Add({{"kind", std::string(kind)}}).Increment(); }

MetricsServer::MetricsServer(std::unique_ptr<prometheus::Exposer> e) : exposer_(std::move(e)) {}
MetricsServer::~MetricsServer() = default;

Result<std::unique_ptr<MetricsServer>> MetricsServer::start(const std::string& address,
                                                            std::shared_ptr<prometheus::Registry> registry) {
  std::string bind = address;
  if (!bind.empty() && bind.front() == ':') bind = "0.0.0.0" + bind;
  auto colon = bind.rfind(':');
  if (bind.empty() || colon == std::string::npos || colon + 1 == bind.size()) {
    return Error{0, "metrics address \"" + address + "\": expected HOST:PORT or :PORT"};
  }
  try {
    // civetweb reports a failed bind by throwing; this is the one place it is caught
    auto exposer = std::make_unique<prometheus::Exposer>(bind, 1);
    exposer->RegisterCollectable(registry);
    return std::unique_ptr<MetricsServer>(new MetricsServer(std::move(exposer)));
  } catch (const std::exception& e) {
    return Error{0, fmt::format("metrics address {}: cannot listen ({}); is the port in use?", address, e.what())};
  }
}

int MetricsServer::port() const {
  auto ports = exposer_->GetListeningPorts();
  return ports.empty() ? 0 : ports.front();
}

}  // namespace badip::exporter
