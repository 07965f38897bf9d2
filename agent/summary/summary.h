#pragma once
// summary::Summary: the windowed aggregate the run loop feeds.
//
// Wiring (agent/cli/run.cpp):
//
//   auto store = summary::StateStore::open(state_dir);            // store.h
//   summary::SummaryConfig cfg{.period = 24h, .timezone = "UTC", .large_transfer_bytes = 10240,
//                              .public_services = {...}, .host = id.host, .node = id.node};
//   auto sum = summary::Summary::open(cfg, **store, clock, {file_sink, stdout_sink, log_sink});
//   // ring-buffer thread, per finding (remote address listed):
//   (*sum)->on_finding(summary::Finding::from_event(ev, proc.get(), hits));
//   // sshd thread, per LoginEvent whose address is listed:
//   (*sum)->on_login(login, hits);      // a success emits an immediate alert at once
//   // completeness, as the probe and intel report them:
//   (*sum)->add_ringbuf_drops(n); (*sum)->add_lookups_skipped(n);
//   // a 1 s timer: closes the window when due (one alert if it had findings), flushes every 5 s
//   (*sum)->tick();
//   // SIGTERM:
//   (*sum)->flush();
//
// open() resumes the open window from the store; if that window ended while
// the agent was down its alert is emitted then; alerts committed but not
// delivered before a crash are delivered. All methods are thread-safe.
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <vector>

#include "summary/aggregator.h"
#include "summary/model.h"
#include "summary/store.h"
#include "summary/window.h"

namespace badip::summary {

// Where alerts go (export/sinks.h has the file, stdout and log sinks).
class AlertSink {
 public:
  virtual ~AlertSink() = default;
  virtual Status emit(const WindowSummary& alert, const nlohmann::json& doc) = 0;
};

struct SummaryConfig {
  std::chrono::seconds period{86400};
  std::string timezone = "UTC";
  std::uint64_t large_transfer_bytes = 10240;
  std::vector<PublicService> public_services;
  std::string host;
  std::string node;
  std::chrono::seconds flush_interval{5};
  // Problems that must not stop the agent (store write failed, sink failed).
  std::function<void(const std::string&)> log;
};

class Summary {
 public:
  struct Stats {
    std::uint64_t window_alerts = 0;     // emitted by this process
    std::uint64_t immediate_alerts = 0;
    std::uint64_t redelivered = 0;       // undelivered alerts from before a restart
    std::uint64_t flushes = 0;
    std::uint64_t errors = 0;            // store or sink failures (each logged)
  };

  static Result<std::unique_ptr<Summary>> open(SummaryConfig cfg, StateStore& store, const Clock& clock,
                                               std::vector<std::shared_ptr<AlertSink>> sinks);

  void on_finding(const Finding& f);
  void on_login(const LoginEvent& ev, std::span<const FeedHit> feeds);
  void add_ringbuf_drops(std::uint64_t n);
  void add_lookups_skipped(std::uint64_t n);

  // Closes the window when the clock passed its end; flushes when due.
  Status tick();
  // Writes the open window to the store now.
  Status flush();

  // The open window with severities applied (kind "open").
  WindowSummary snapshot() const;
  Window current_window() const;
  Stats stats() const;

 private:
  Summary(SummaryConfig cfg, StateStore& store, const Clock& clock, WindowScheme scheme,
          std::vector<std::shared_ptr<AlertSink>> sinks);
  void roll_locked(std::int64_t t);
  Status flush_locked();
  void deliver_locked(const StoredAlert& a, const WindowSummary& w, const nlohmann::json& doc);
  void report(const std::string& what);
  OpenWindowRow row_locked() const;
  std::string origin() const;

  SummaryConfig cfg_;
  StateStore& store_;
  const Clock& clock_;
  WindowScheme scheme_;
  SeverityPolicy policy_;
  std::vector<std::shared_ptr<AlertSink>> sinks_;
  mutable std::mutex mu_;
  Aggregator agg_;
  bool dirty_ = false;
  std::int64_t last_flush_ns_ = 0;
  Stats stats_;
};

}  // namespace badip::summary
