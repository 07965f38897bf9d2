#include "summary/aggregator.h"

#include <algorithm>
#include <charconv>

#include <fmt/core.h>

namespace badip::summary {
namespace {

std::string_view basename(std::string_view path) {
  auto slash = path.rfind('/');
  return slash == std::string_view::npos ? path : path.substr(slash + 1);
}

std::string name_of(const Entity& e) {
  if (!e.comm.empty()) return e.comm;
  if (!e.exe.empty()) return std::string(basename(e.exe));
  return "unknown process";
}

void add_reason(std::vector<std::string>& v, std::string r) {
  if (std::find(v.begin(), v.end(), r) == v.end()) v.push_back(std::move(r));
}

}  // namespace

Finding Finding::from_event(const ConnEvent& ev, const enrich::ProcessInfo* process,
                            std::span<const FeedHit> feeds) {
  Finding f;
  f.kind = ev.kind;
  f.direction = ev.direction;
  f.wall_ns = ev.wall_ns;
  f.sock_id = ev.sock_id;
  f.remote = ev.remote;
  f.remote_port = ev.remote_port;
  f.local = ev.local;
  f.local_port = ev.local_port;
  f.bytes_received = ev.bytes_received;
  f.bytes_sent = ev.bytes_sent;
  f.duration_ns = ev.duration_ns;
  f.process = ev.owner == Owner::Unknown ? nullptr : process;
  f.feeds = feeds;
  return f;
}

std::string PublicService::text() const {
  if (!port) return name;
  return fmt::format("{}:{}", name, *port);
}

std::optional<PublicService> parse_public_service(std::string_view text) {
  PublicService s;
  auto colon = text.rfind(':');
  if (colon == std::string_view::npos) {
    s.name = std::string(text);
  } else {
    s.name = std::string(text.substr(0, colon));
    std::string_view p = text.substr(colon + 1);
    unsigned v = 0;
    auto [ptr, ec] = std::from_chars(p.data(), p.data() + p.size(), v);
    if (p.empty() || ec != std::errc{} || ptr != p.data() + p.size() || v == 0 || v > 65535) return std::nullopt;
    s.port = static_cast<std::uint16_t>(v);
  }
  if (s.name.empty() && !s.port) return std::nullopt;
  if (s.name.find_first_of(" \t/") != std::string::npos) return std::nullopt;
  return s;
}

bool is_sshd(const Entity& e) {
  for (std::string_view n : {std::string_view(e.comm), basename(e.exe)}) {
    if (n == "sshd" || n == "sshd-session") return true;
  }
  return e.comm.empty() && e.exe.empty() && e.port == 22 && e.direction == Direction::In;
}

const PublicService* SeverityPolicy::match(const Entity& e) const {
  for (const auto& s : public_) {
    if (s.port && *s.port != e.port) continue;
    if (!s.name.empty() && s.name != e.comm && s.name != basename(e.exe)) continue;
    return &s;
  }
  return nullptr;
}

void SeverityPolicy::apply(WindowSummary& w) const {
  auto large_reason = [&w](std::uint64_t n) {
    return fmt::format("{} connection{} over {} bytes", n, n == 1 ? "" : "s", w.large_transfer_bytes);
  };
  for (auto& [ip, g] : w.ips) {
    const bool logged_in = g.logins.successes > 0;
    Severity top = Severity::Info;
    for (auto& [e, s] : g.entities) {
      s.reasons.clear();
      if (e.direction == Direction::Out) {
        s.severity = Severity::High;
        s.reasons.push_back(fmt::format("{} connected out to a listed address (port {})", name_of(e), e.port));
      } else if (const PublicService* p = match(e)) {
        s.severity = Severity::Info;
        s.reasons.push_back(fmt::format("customer-facing service {}:{} (declared public as {}); scanning is expected",
                                        name_of(e), e.port, p->text()));
      } else if (is_sshd(e)) {
        s.severity = Severity::High;
        s.reasons.push_back(fmt::format("sshd on port {} is exposed to a listed address", e.port));
      } else {
        s.severity = Severity::High;
        s.reasons.push_back(fmt::format("exposed service {}:{} is not declared public", name_of(e), e.port));
      }
      if (s.large_transfers > 0) {
        s.severity = raise(s.severity);
        s.reasons.push_back(large_reason(s.large_transfers));
      }
      if (logged_in && e.direction == Direction::In && is_sshd(e)) {
        s.severity = Severity::Critical;
        s.reasons.push_back("a login from this address succeeded");
      }
      top = std::max(top, s.severity);
    }
    std::vector<std::string> login_reasons;
    Severity login_sev = Severity::Info;
    if (logged_in) {
      login_sev = Severity::Critical;
      const auto& a = g.logins.accepted.empty() ? SuccessfulLogin{} : g.logins.accepted.front();
      login_reasons.push_back(fmt::format("successful ssh login ({} of {} attempts; first: user {} via {})",
                                          g.logins.successes, g.logins.attempts,
                                          a.user.empty() ? "?" : a.user, a.method.empty() ? "?" : a.method));
    } else if (g.logins.failures > 0) {
      login_sev = Severity::High;
      login_reasons.push_back(fmt::format("{} failed ssh login attempt{}", g.logins.failures,
                                          g.logins.failures == 1 ? "" : "s"));
    }
    top = std::max(top, login_sev);
    g.severity = top;
    g.reasons.clear();
    if (login_sev == top) {
      for (auto& r : login_reasons) add_reason(g.reasons, r);
    }
    // sshd first among entities of the top severity ("sshd above all").
    // Large transfers are summed over those entities: their per-entity
    // reasons would otherwise merge into one line with the first count.
    std::uint64_t large_total = 0;
    for (int pass = 0; pass < 2; ++pass) {
      for (const auto& [e, s] : g.entities) {
        if (s.severity != top || is_sshd(e) != (pass == 0)) continue;
        for (const auto& r : s.reasons) {
          if (s.large_transfers > 0 && r == large_reason(s.large_transfers)) {
            large_total += s.large_transfers;
            continue;
          }
          add_reason(g.reasons, r);
        }
      }
    }
    if (large_total > 0) add_reason(g.reasons, large_reason(large_total));
  }
}

Aggregator::Aggregator(std::string host, std::string node, std::uint64_t large_transfer_bytes)
    : host_(std::move(host)), node_(std::move(node)), large_(large_transfer_bytes) {
  w_.host = host_;
  w_.node = node_;
  w_.large_transfer_bytes = large_;
}

EntityRef Aggregator::entity_of(const Finding& f) const {
  EntityRef e;
  e.host = host_;
  e.node = node_;
  e.direction = f.direction;
  e.port = f.direction == Direction::In ? f.local_port : f.remote_port;
  if (f.process != nullptr) {
    e.container_id = f.process->container_id;
    e.exe = f.process->exe;
    e.comm = f.process->comm;
    e.user = f.process->user;
  }
  return e;
}

IpSummary& Aggregator::ip_group(const IpAddress& ip, std::span<const FeedHit> feeds) {
  IpSummary& g = w_.ips[ip];
  for (const auto& h : feeds) {
    if (g.feeds.contains(h.feed)) continue;
    g.feeds.emplace(h.feed, FeedInfo{h.category, h.confidence, h.prefix, h.metadata});
  }
  return g;
}

void Aggregator::add(const Finding& f) {
  // An open whose sock_id is still tracked means the kernel reused the socket
  // address after a close we never saw: it is a new connection all the same.
  if (f.kind == EventKind::Open) carried_.erase(f.sock_id);
  IpSummary& g = ip_group(f.remote, f.feeds);
  const EntityRef ref = entity_of(f);
  auto it = g.entities.find(ref);
  const bool fresh = it == g.entities.end();
  if (fresh) {
    Entity e{std::string(ref.host), std::string(ref.node), std::string(ref.container_id), std::string(ref.exe),
             std::string(ref.comm), std::string(ref.user), ref.port, ref.direction};
    it = g.entities.emplace(std::move(e), EntityStats{}).first;
  }
  EntityStats& s = it->second;
  if (fresh || s.first_seen_ns == 0 || f.wall_ns < s.first_seen_ns) s.first_seen_ns = f.wall_ns;
  s.last_seen_ns = std::max(s.last_seen_ns, f.wall_ns);
  if (f.process != nullptr) {
    if (s.cmdline.empty()) s.cmdline = f.process->cmdline;
    if (f.process->pid != 0 && s.pids.size() < EntityStats::kMaxPids &&
        std::find(s.pids.begin(), s.pids.end(), f.process->pid) == s.pids.end()) {
      s.pids.push_back(f.process->pid);
    }
  }
  if (f.kind == EventKind::Open) {
    ++s.connections;
    if (open_.size() < kMaxTrackedSockets) open_.insert(f.sock_id);
    return;
  }
  if (open_.erase(f.sock_id) == 0) {
    if (carried_.erase(f.sock_id) != 0) {
      ++s.carried_over;
    } else {
      ++s.connections;  // only the close was seen: count it here
    }
  }
  ++s.closed;
  s.bytes_in += f.bytes_received;
  s.bytes_out += f.bytes_sent;
  s.max_in = std::max(s.max_in, f.bytes_received);
  s.max_out = std::max(s.max_out, f.bytes_sent);
  if (f.bytes_received + f.bytes_sent > large_) ++s.large_transfers;
}

bool Aggregator::add_login(const LoginEvent& ev, std::span<const FeedHit> feeds, std::int64_t now_ns) {
  IpSummary& g = ip_group(ev.address, feeds);
  LoginActivity& l = g.logins;
  std::int64_t t = ev.wall_ns != 0 ? ev.wall_ns : now_ns;
  if (l.empty() || t < l.first_ns) l.first_ns = t;
  l.last_ns = std::max(l.last_ns, t);
  ++l.events;
  // sshd often logs one credential try on several lines ("Failed password"
  // then "Connection closed by authenticating user"); the parser says how
  // many tries each line reports, so a try is counted once.
  l.attempts += ev.attempts;
  switch (ev.result) {
    case LoginResult::Success:
      l.successes += std::max<std::uint32_t>(ev.attempts, 1);
      if (l.accepted.size() < LoginActivity::kMaxAccepted) l.accepted.push_back({t, ev.user, ev.method, ev.port});
      break;
    case LoginResult::Failure:
    case LoginResult::InvalidUser: l.failures += ev.attempts; break;
    case LoginResult::PreauthAbort: ++l.preauth_aborts; break;
  }
  if (ev.invalid_user || ev.result == LoginResult::InvalidUser) l.invalid_users += ev.attempts;
  if (!ev.method.empty()) l.methods.insert(ev.method);
  if (!ev.user.empty() && std::find(l.users.begin(), l.users.end(), ev.user) == l.users.end()) {
    if (l.users.size() < LoginActivity::kMaxUsers) {
      l.users.push_back(ev.user);
    } else {
      ++l.users_other;  // attempts naming a user beyond the list
    }
  }
  return ev.result == LoginResult::Success;
}

WindowSummary Aggregator::roll(std::int64_t next_start_ns, std::int64_t next_end_ns) {
  WindowSummary done = std::move(w_);
  w_ = WindowSummary{};
  w_.host = host_;
  w_.node = node_;
  w_.large_transfer_bytes = large_;
  w_.timezone = done.timezone;
  w_.window_start_ns = next_start_ns;
  w_.window_end_ns = next_end_ns;
  // only the previous window's connections carry over: older ones lost their close
  carried_ = std::move(open_);
  open_.clear();
  return done;
}

nlohmann::json Aggregator::sockets_json() const {
  return {{"open", std::vector<std::uint64_t>(open_.begin(), open_.end())},
          {"carried", std::vector<std::uint64_t>(carried_.begin(), carried_.end())}};
}

void Aggregator::restore(WindowSummary w, const nlohmann::json& sockets) {
  w_ = std::move(w);
  w_.host = host_;
  w_.node = node_;
  w_.large_transfer_bytes = large_;
  open_.clear();
  carried_.clear();
  if (sockets.is_object()) {
    for (const auto& v : sockets.value("open", nlohmann::json::array())) {
      if (v.is_number_unsigned()) open_.insert(v.get<std::uint64_t>());
    }
    for (const auto& v : sockets.value("carried", nlohmann::json::array())) {
      if (v.is_number_unsigned()) carried_.insert(v.get<std::uint64_t>());
    }
  }
}

}  // namespace badip::summary
