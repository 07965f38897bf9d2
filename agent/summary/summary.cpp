#include "summary/summary.h"

#include <cstdio>

#include <fmt/core.h>

namespace badip::summary {

Summary::Summary(SummaryConfig cfg, StateStore& store, const Clock& clock, WindowScheme scheme,
                 std::vector<std::shared_ptr<AlertSink>> sinks)
    : cfg_(std::move(cfg)),
      store_(store),
      clock_(clock),
      scheme_(std::move(scheme)),
      policy_(cfg_.public_services),
      sinks_(std::move(sinks)),
      agg_(cfg_.host, cfg_.node, cfg_.large_transfer_bytes) {}

Result<std::unique_ptr<Summary>> Summary::open(SummaryConfig cfg, StateStore& store, const Clock& clock,
                                               std::vector<std::shared_ptr<AlertSink>> sinks) {
  auto scheme = WindowScheme::create(cfg.period, cfg.timezone);
  if (!scheme) return scheme.error();
  std::unique_ptr<Summary> s(new Summary(std::move(cfg), store, clock, std::move(*scheme), std::move(sinks)));
  std::lock_guard lock(s->mu_);
  const std::int64_t now = clock.now_ns();

  // 1. the open window as of the last flush
  auto row = store.load_open_window();
  if (!row) return row.error();
  bool resumed = false;
  if (*row) {
    auto parsed = from_json(nlohmann::json::parse((*row)->summary, nullptr, false));
    auto sockets = nlohmann::json::parse((*row)->sockets, nullptr, false);
    if (parsed) {
      parsed->window_start_ns = (*row)->window_start_ns;
      parsed->window_end_ns = (*row)->window_end_ns;
      parsed->kind = "open";
      s->agg_.restore(std::move(*parsed), sockets);
      resumed = true;
    } else {
      s->report(store.path() + ": open window unreadable (" + parsed.error().message() + "); starting afresh");
    }
  }
  if (!resumed) {
    Window w = s->scheme_.window_at(now);
    auto& sum = s->agg_.summary();
    sum.window_start_ns = w.start_ns;
    sum.window_end_ns = w.end_ns;
    sum.timezone = s->scheme_.timezone();
    if (auto st = store.save_open_window(s->row_locked()); !st) return st.error();
  }

  // 2. alerts committed before a crash but never handed to the sinks
  auto pending = store.alerts(true);
  if (!pending) return pending.error();
  for (const auto& a : *pending) {
    auto doc = nlohmann::json::parse(a.document, nullptr, false);
    auto w = from_json(doc);
    if (!w) {
      s->report(fmt::format("{}: alert {} unreadable: {}", store.path(), a.id, w.error().message()));
      continue;
    }
    s->deliver_locked(a, *w, doc);
    ++s->stats_.redelivered;
  }

  // 3. the window that ended while we were down
  if (now >= s->agg_.summary().window_end_ns) s->roll_locked(now);
  s->last_flush_ns_ = now;
  return s;
}

std::string Summary::origin() const { return cfg_.node.empty() ? cfg_.host : cfg_.node; }

void Summary::report(const std::string& what) {
  ++stats_.errors;
  if (cfg_.log) {
    cfg_.log(what);
  } else {
    fmt::print(stderr, "badip: {}\n", what);
  }
}

OpenWindowRow Summary::row_locked() const {
  WindowSummary w = agg_.summary();
  w.kind = "open";
  w.id = fmt::format("{}/open/{}", origin(), format_time(w.window_start_ns));
  w.timezone = scheme_.timezone();
  w.generated_ns = clock_.now_ns();
  policy_.apply(w);
  return OpenWindowRow{w.window_start_ns, w.window_end_ns, to_json(w).dump(), agg_.sockets_json().dump()};
}

void Summary::deliver_locked(const StoredAlert& a, const WindowSummary& w, const nlohmann::json& doc) {
  bool all_ok = true;
  for (const auto& sink : sinks_) {
    if (auto st = sink->emit(w, doc); !st) {
      all_ok = false;
      report(fmt::format("alert {}: sink failed: {}", a.id, st.error().message()));
    }
  }
  // Left undelivered when a sink failed: the next start retries it. It is in
  // the store either way, so `badip report` shows it.
  if (all_ok) {
    if (auto st = store_.mark_delivered(a.id); !st) report(st.error().message());
  }
}

void Summary::roll_locked(std::int64_t t) {
  Window next = scheme_.window_at(t);
  if (next.start_ns < agg_.summary().window_end_ns) return;  // still inside (or before) the open window
  WindowSummary done = agg_.roll(next.start_ns, next.end_ns);
  agg_.summary().timezone = scheme_.timezone();
  dirty_ = false;
  OpenWindowRow next_row = row_locked();
  if (done.empty()) {  // an empty window emits nothing
    if (auto st = store_.save_open_window(next_row); !st) report(st.error().message());
    return;
  }
  done.kind = "window";
  done.id = fmt::format("{}/window/{}", origin(), format_time(done.window_start_ns));
  done.generated_ns = clock_.now_ns();
  done.timezone = done.timezone.empty() ? scheme_.timezone() : done.timezone;
  policy_.apply(done);
  nlohmann::json doc = to_json(done);
  StoredAlert a{0, done.id, done.kind, done.window_start_ns, done.window_end_ns, false, doc.dump()};
  auto inserted = store_.close_window(a, next_row);
  if (!inserted) {
    // Could not commit: emit anyway so the alert is not lost with the store.
    report(inserted.error().message());
    for (const auto& sink : sinks_) (void)sink->emit(done, doc);
    ++stats_.window_alerts;
    return;
  }
  if (!*inserted) return;  // already emitted once (same window id)
  deliver_locked(a, done, doc);
  ++stats_.window_alerts;
}

void Summary::on_finding(const Finding& f) {
  std::lock_guard lock(mu_);
  std::int64_t t = std::max(f.wall_ns, clock_.now_ns());
  if (t >= agg_.summary().window_end_ns) roll_locked(t);
  agg_.add(f);
  dirty_ = true;
}

void Summary::on_login(const LoginEvent& ev, std::span<const FeedHit> feeds) {
  std::lock_guard lock(mu_);
  const std::int64_t now = clock_.now_ns();
  std::int64_t t = std::max(ev.wall_ns, now);
  if (t >= agg_.summary().window_end_ns) roll_locked(t);
  dirty_ = true;
  if (!agg_.add_login(ev, feeds, now)) return;

  // Immediate alert: this IP's part of the open window, marked immediate.
  WindowSummary w;
  const WindowSummary& open = agg_.summary();
  w.kind = "immediate";
  w.window_start_ns = open.window_start_ns;
  w.window_end_ns = open.window_end_ns;
  w.timezone = scheme_.timezone();
  w.generated_ns = now;
  w.host = open.host;
  w.node = open.node;
  w.large_transfer_bytes = open.large_transfer_bytes;
  w.ringbuf_drops = open.ringbuf_drops;
  w.lookups_skipped = open.lookups_skipped;
  w.ips[ev.address] = open.ips.at(ev.address);
  policy_.apply(w);
  std::int64_t when = ev.wall_ns != 0 ? ev.wall_ns : now;
  w.id = fmt::format("{}/immediate/{}/{}/{}", origin(), ev.address.to_string(), format_time(when), ev.user);
  nlohmann::json doc = to_json(w);
  StoredAlert a{0, w.id, w.kind, w.window_start_ns, w.window_end_ns, false, doc.dump()};
  auto inserted = store_.add_alert(a);
  if (!inserted) {
    report(inserted.error().message());
    for (const auto& sink : sinks_) (void)sink->emit(w, doc);
    ++stats_.immediate_alerts;
    return;
  }
  if (!*inserted) return;  // the same login seen again (log re-read)
  deliver_locked(a, w, doc);
  ++stats_.immediate_alerts;
}

void Summary::add_ringbuf_drops(std::uint64_t n) {
  if (n == 0) return;
  std::lock_guard lock(mu_);
  agg_.add_ringbuf_drops(n);
  dirty_ = true;
}

void Summary::add_lookups_skipped(std::uint64_t n) {
  if (n == 0) return;
  std::lock_guard lock(mu_);
  agg_.add_lookups_skipped(n);
  dirty_ = true;
}

Status Summary::flush_locked() {
  last_flush_ns_ = clock_.now_ns();
  if (!dirty_) return {};
  auto st = store_.save_open_window(row_locked());
  if (!st) {
    report(st.error().message());
    return st;
  }
  dirty_ = false;
  ++stats_.flushes;
  return {};
}

Status Summary::tick() {
  std::lock_guard lock(mu_);
  const std::int64_t now = clock_.now_ns();
  if (now >= agg_.summary().window_end_ns) roll_locked(now);
  if (now - last_flush_ns_ >= std::chrono::nanoseconds(cfg_.flush_interval).count()) return flush_locked();
  return {};
}

Status Summary::flush() {
  std::lock_guard lock(mu_);
  return flush_locked();
}

WindowSummary Summary::snapshot() const {
  std::lock_guard lock(mu_);
  WindowSummary w = agg_.summary();
  w.kind = "open";
  w.id = fmt::format("{}/open/{}", origin(), format_time(w.window_start_ns));
  w.timezone = scheme_.timezone();
  w.generated_ns = clock_.now_ns();
  policy_.apply(w);
  return w;
}

Window Summary::current_window() const {
  std::lock_guard lock(mu_);
  return {agg_.summary().window_start_ns, agg_.summary().window_end_ns};
}

Summary::Stats Summary::stats() const {
  std::lock_guard lock(mu_);
  return stats_;
}

}  // namespace badip::summary
