#include "summary/model.h"

#include <date/date.h>

#include <algorithm>
#include <charconv>
#include <chrono>

#include <fmt/core.h>

namespace badip::summary {
namespace {

using nlohmann::json;

constexpr std::string_view kSeverityNames[] = {"info", "low", "medium", "high", "critical"};

std::string_view direction_name(Direction d) { return d == Direction::In ? "in" : "out"; }

// Field access that reports what is wrong instead of throwing through callers.
struct Reader {
  std::string error;
  template <typename T>
  T get(const json& j, const char* key, T fallback = T{}) {
    if (!j.is_object()) {
      if (error.empty()) error = fmt::format("expected an object around \"{}\"", key);
      return fallback;
    }
    auto it = j.find(key);
    if (it == j.end() || it->is_null()) return fallback;
    try {
      return it->get<T>();
    } catch (const json::exception&) {
      if (error.empty()) error = fmt::format("field \"{}\" has the wrong type", key);
      return fallback;
    }
  }
  std::int64_t time(const json& j, const char* key) {
    auto s = get<std::string>(j, key);
    if (s.empty()) return 0;
    auto t = parse_time(s);
    if (!t && error.empty()) error = fmt::format("field \"{}\": bad time \"{}\"", key, s);
    return t.value_or(0);
  }
};

json metadata_json(const std::vector<std::pair<std::string, std::string>>& md) {
  json o = json::object();
  for (const auto& [k, v] : md) o[k] = v;
  return o;
}

std::vector<std::pair<std::string, std::string>> metadata_from(const json& j) {
  std::vector<std::pair<std::string, std::string>> md;
  if (!j.is_object()) return md;
  for (auto it = j.begin(); it != j.end(); ++it) {
    md.emplace_back(it.key(), it->is_string() ? it->get<std::string>() : it->dump());
  }
  return md;
}

json reasons_json(const std::vector<std::string>& r) { return json(r); }

}  // namespace

std::string_view to_string(Severity s) { return kSeverityNames[static_cast<std::size_t>(s)]; }

std::optional<Severity> severity_from_string(std::string_view s) {
  for (std::size_t i = 0; i < std::size(kSeverityNames); ++i) {
    if (kSeverityNames[i] == s) return Severity(i);
  }
  return std::nullopt;
}

std::uint64_t IpSummary::connections() const {
  std::uint64_t n = 0;
  for (const auto& [e, s] : entities) n += s.connections;
  return n;
}

Severity WindowSummary::severity() const {
  Severity s = Severity::Info;
  for (const auto& [ip, g] : ips) s = std::max(s, g.severity);
  return s;
}

std::uint64_t WindowSummary::connections() const {
  std::uint64_t n = 0;
  for (const auto& [ip, g] : ips) n += g.connections();
  return n;
}

std::string format_time(std::int64_t unix_ns) {
  using namespace std::chrono;
  std::int64_t secs = unix_ns / 1'000'000'000;
  std::int64_t frac = unix_ns % 1'000'000'000;
  if (frac < 0) {
    frac += 1'000'000'000;
    --secs;
  }
  sys_seconds tp{seconds{secs}};
  auto day = date::floor<date::days>(tp);
  date::year_month_day ymd{day};
  date::hh_mm_ss<seconds> hms{tp - day};
  std::string out = fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}", int(ymd.year()), unsigned(ymd.month()),
                                unsigned(ymd.day()), hms.hours().count(), hms.minutes().count(),
                                hms.seconds().count());
  if (frac != 0) {
    std::string f = fmt::format("{:09}", frac);
    while (f.back() == '0') f.pop_back();
    out += "." + f;
  }
  out += "Z";
  return out;
}

std::optional<std::int64_t> parse_time(std::string_view text) {
  if (text.empty()) return std::nullopt;
  // plain Unix seconds
  if (std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    std::int64_t v = 0;
    auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    if (ec != std::errc{} || v > 9'000'000'000) return std::nullopt;
    return v * 1'000'000'000;
  }
  auto num = [&](std::size_t pos, std::size_t len) -> std::optional<int> {
    if (pos + len > text.size()) return std::nullopt;
    int v = 0;
    auto [p, ec] = std::from_chars(text.data() + pos, text.data() + pos + len, v);
    if (ec != std::errc{} || p != text.data() + pos + len) return std::nullopt;
    return v;
  };
  // YYYY-MM-DDTHH:MM:SS[.f+](Z|+hh:mm|-hh:mm); also a bare date YYYY-MM-DD (midnight UTC)
  auto y = num(0, 4), mo = num(5, 2), d = num(8, 2);
  if (!y || !mo || !d || text[4] != '-' || text[7] != '-') return std::nullopt;
  date::year_month_day ymd{date::year{*y}, date::month{unsigned(*mo)}, date::day{unsigned(*d)}};
  if (!ymd.ok()) return std::nullopt;
  std::int64_t day_s = std::chrono::duration_cast<std::chrono::seconds>(
                           date::sys_days{ymd}.time_since_epoch()).count();
  if (text.size() == 10) return day_s * 1'000'000'000;
  if (text[10] != 'T' && text[10] != 't' && text[10] != ' ') return std::nullopt;
  auto h = num(11, 2), mi = num(14, 2), s = num(17, 2);
  if (!h || !mi || !s || text[13] != ':' || text[16] != ':' || *h > 23 || *mi > 59 || *s > 60) return std::nullopt;
  std::size_t pos = 19;
  std::int64_t frac = 0;
  if (pos < text.size() && text[pos] == '.') {
    ++pos;
    int digits = 0;
    while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') {
      if (digits < 9) {
        frac = frac * 10 + (text[pos] - '0');
        ++digits;
      }
      ++pos;
    }
    if (digits == 0) return std::nullopt;
    for (; digits < 9; ++digits) frac *= 10;
  }
  std::int64_t offset_s = 0;
  if (pos < text.size() && (text[pos] == 'Z' || text[pos] == 'z')) {
    ++pos;
  } else if (pos < text.size() && (text[pos] == '+' || text[pos] == '-')) {
    auto oh = num(pos + 1, 2), om = num(pos + 4, 2);
    if (!oh || !om || text[pos + 3] != ':') return std::nullopt;
    offset_s = (*oh * 3600 + *om * 60) * (text[pos] == '+' ? 1 : -1);
    pos += 6;
  } else {
    return std::nullopt;
  }
  if (pos != text.size()) return std::nullopt;
  std::int64_t secs = day_s + *h * 3600 + *mi * 60 + *s - offset_s;
  return secs * 1'000'000'000 + frac;
}

nlohmann::json to_json(const WindowSummary& w) {
  json doc;
  doc["schema"] = "badip.alert/1";
  doc["kind"] = w.kind;
  doc["id"] = w.id;
  doc["window"] = {{"start", format_time(w.window_start_ns)},
                   {"end", format_time(w.window_end_ns)},
                   {"timezone", w.timezone}};
  doc["generated"] = format_time(w.generated_ns);
  doc["host"] = w.host;
  doc["node"] = w.node;
  if (!w.nodes.empty()) doc["nodes"] = w.nodes;
  doc["large_transfer_bytes"] = w.large_transfer_bytes;
  doc["completeness"] = {{"ringbuf_drops", w.ringbuf_drops},
                         {"lookups_skipped", w.lookups_skipped},
                         {"complete", w.ringbuf_drops == 0 && w.lookups_skipped == 0}};
  doc["severity"] = to_string(w.severity());
  doc["totals"] = {{"bad_ips", w.ips.size()}, {"connections", w.connections()}};
  json ips = json::array();
  for (const auto& [ip, g] : w.ips) {
    json jg;
    jg["ip"] = ip.to_string();
    jg["severity"] = to_string(g.severity);
    jg["reasons"] = reasons_json(g.reasons);
    jg["connections"] = g.connections();
    json feeds = json::array();
    for (const auto& [name, f] : g.feeds) {
      json jf{{"name", name}, {"category", f.category}, {"prefix", f.prefix}, {"metadata", metadata_json(f.metadata)}};
      jf["confidence"] = f.confidence >= 0 ? json(f.confidence) : json(nullptr);
      feeds.push_back(std::move(jf));
    }
    jg["feeds"] = std::move(feeds);
    json ents = json::array();
    for (const auto& [e, s] : g.entities) {
      json je;
      je["host"] = e.host;
      je["node"] = e.node;
      je["container_id"] = e.container_id;
      je["process"] = {{"exe", e.exe}, {"comm", e.comm}, {"user", e.user}, {"pids", s.pids}, {"cmdline", s.cmdline}};
      je["port"] = e.port;
      je["direction"] = direction_name(e.direction);
      je["connections"] = s.connections;
      je["closed"] = s.closed;
      je["carried_over"] = s.carried_over;
      je["first_seen"] = format_time(s.first_seen_ns);
      je["last_seen"] = format_time(s.last_seen_ns);
      je["bytes_in"] = {{"total", s.bytes_in}, {"max", s.max_in}, {"mean", s.closed ? s.bytes_in / s.closed : 0}};
      je["bytes_out"] = {{"total", s.bytes_out}, {"max", s.max_out}, {"mean", s.closed ? s.bytes_out / s.closed : 0}};
      je["large_transfers"] = s.large_transfers;
      je["severity"] = to_string(s.severity);
      je["reasons"] = reasons_json(s.reasons);
      ents.push_back(std::move(je));
    }
    jg["entities"] = std::move(ents);
    if (!g.logins.empty()) {
      const auto& l = g.logins;
      json jl{{"events", l.events}, {"attempts", l.attempts}, {"failures", l.failures}, {"successes", l.successes},
              {"invalid_users", l.invalid_users}, {"preauth_aborts", l.preauth_aborts},
              {"users", l.users}, {"users_other", l.users_other},
              {"methods", json(std::vector<std::string>(l.methods.begin(), l.methods.end()))},
              {"first_attempt", format_time(l.first_ns)}, {"last_attempt", format_time(l.last_ns)}};
      json acc = json::array();
      for (const auto& a : l.accepted) {
        json ja{{"time", format_time(a.time_ns)}, {"user", a.user}, {"method", a.method}};
        ja["port"] = a.port ? json(*a.port) : json(nullptr);
        acc.push_back(std::move(ja));
      }
      jl["accepted"] = std::move(acc);
      jg["ssh_logins"] = std::move(jl);
    }
    ips.push_back(std::move(jg));
  }
  doc["bad_ips"] = std::move(ips);
  return doc;
}

Result<WindowSummary> from_json(const nlohmann::json& doc) {
  Reader r;
  WindowSummary w;
  if (!doc.is_object()) return Error{0, "alert document is not a JSON object"};
  if (r.get<std::string>(doc, "schema") != "badip.alert/1") return Error{0, "not a badip alert (schema is not badip.alert/1)"};
  w.kind = r.get<std::string>(doc, "kind");
  w.id = r.get<std::string>(doc, "id");
  const json& win = doc.contains("window") ? doc["window"] : json::object();
  w.window_start_ns = r.time(win, "start");
  w.window_end_ns = r.time(win, "end");
  w.timezone = r.get<std::string>(win, "timezone", "UTC");
  w.generated_ns = r.time(doc, "generated");
  w.host = r.get<std::string>(doc, "host");
  w.node = r.get<std::string>(doc, "node");
  w.nodes = r.get<std::vector<std::string>>(doc, "nodes");
  w.large_transfer_bytes = r.get<std::uint64_t>(doc, "large_transfer_bytes", 10240);
  const json& comp = doc.contains("completeness") ? doc["completeness"] : json::object();
  w.ringbuf_drops = r.get<std::uint64_t>(comp, "ringbuf_drops");
  w.lookups_skipped = r.get<std::uint64_t>(comp, "lookups_skipped");
  const json& ips = doc.contains("bad_ips") ? doc["bad_ips"] : json::array();
  if (!ips.is_array()) return Error{0, "field \"bad_ips\" is not an array"};
  for (const auto& jg : ips) {
    auto ip = IpAddress::parse(r.get<std::string>(jg, "ip"));
    if (!ip) return Error{0, "bad_ips[].ip is not an IP address"};
    IpSummary g;
    g.severity = severity_from_string(r.get<std::string>(jg, "severity", "info")).value_or(Severity::Info);
    g.reasons = r.get<std::vector<std::string>>(jg, "reasons");
    for (const auto& jf : jg.contains("feeds") ? jg["feeds"] : json::array()) {
      FeedInfo f;
      f.category = r.get<std::string>(jf, "category");
      f.confidence = r.get<int>(jf, "confidence", -1);
      f.prefix = r.get<std::string>(jf, "prefix");
      if (jf.is_object() && jf.contains("metadata")) f.metadata = metadata_from(jf["metadata"]);
      g.feeds[r.get<std::string>(jf, "name")] = std::move(f);
    }
    for (const auto& je : jg.contains("entities") ? jg["entities"] : json::array()) {
      Entity e;
      EntityStats s;
      e.host = r.get<std::string>(je, "host");
      e.node = r.get<std::string>(je, "node");
      e.container_id = r.get<std::string>(je, "container_id");
      const json& p = je.contains("process") ? je["process"] : json::object();
      e.exe = r.get<std::string>(p, "exe");
      e.comm = r.get<std::string>(p, "comm");
      e.user = r.get<std::string>(p, "user");
      s.pids = r.get<std::vector<std::uint32_t>>(p, "pids");
      s.cmdline = r.get<std::string>(p, "cmdline");
      e.port = r.get<std::uint16_t>(je, "port");
      e.direction = r.get<std::string>(je, "direction", "in") == "out" ? Direction::Out : Direction::In;
      s.connections = r.get<std::uint64_t>(je, "connections");
      s.closed = r.get<std::uint64_t>(je, "closed");
      s.carried_over = r.get<std::uint64_t>(je, "carried_over");
      s.first_seen_ns = r.time(je, "first_seen");
      s.last_seen_ns = r.time(je, "last_seen");
      const json& bi = je.contains("bytes_in") ? je["bytes_in"] : json::object();
      const json& bo = je.contains("bytes_out") ? je["bytes_out"] : json::object();
      s.bytes_in = r.get<std::uint64_t>(bi, "total");
      s.max_in = r.get<std::uint64_t>(bi, "max");
      s.bytes_out = r.get<std::uint64_t>(bo, "total");
      s.max_out = r.get<std::uint64_t>(bo, "max");
      s.large_transfers = r.get<std::uint64_t>(je, "large_transfers");
      s.severity = severity_from_string(r.get<std::string>(je, "severity", "info")).value_or(Severity::Info);
      s.reasons = r.get<std::vector<std::string>>(je, "reasons");
      g.entities[e] = std::move(s);
    }
    if (jg.is_object() && jg.contains("ssh_logins")) {
      const json& jl = jg["ssh_logins"];
      auto& l = g.logins;
      l.attempts = r.get<std::uint64_t>(jl, "attempts");
      l.events = r.get<std::uint64_t>(jl, "events", std::max<std::uint64_t>(l.attempts, 1));
      l.failures = r.get<std::uint64_t>(jl, "failures");
      l.successes = r.get<std::uint64_t>(jl, "successes");
      l.invalid_users = r.get<std::uint64_t>(jl, "invalid_users");
      l.preauth_aborts = r.get<std::uint64_t>(jl, "preauth_aborts");
      l.users = r.get<std::vector<std::string>>(jl, "users");
      l.users_other = r.get<std::uint64_t>(jl, "users_other");
      for (auto& m : r.get<std::vector<std::string>>(jl, "methods")) l.methods.insert(m);
      l.first_ns = r.time(jl, "first_attempt");
      l.last_ns = r.time(jl, "last_attempt");
      for (const auto& ja : jl.contains("accepted") ? jl["accepted"] : json::array()) {
        SuccessfulLogin a;
        a.time_ns = r.time(ja, "time");
        a.user = r.get<std::string>(ja, "user");
        a.method = r.get<std::string>(ja, "method");
        if (ja.is_object() && ja.contains("port") && ja["port"].is_number()) a.port = ja["port"].get<std::uint16_t>();
        l.accepted.push_back(std::move(a));
      }
    }
    w.ips[*ip] = std::move(g);
  }
  if (!r.error.empty()) return Error{0, r.error};
  return w;
}

WindowSummary merge(const std::vector<WindowSummary>& parts) {
  WindowSummary out;
  out.kind = "fleet";
  if (parts.empty()) return out;
  out.window_start_ns = parts.front().window_start_ns;
  out.window_end_ns = parts.front().window_end_ns;
  out.timezone = parts.front().timezone;
  out.large_transfer_bytes = parts.front().large_transfer_bytes;
  std::set<std::string> nodes;
  for (const auto& p : parts) {
    out.generated_ns = std::max(out.generated_ns, p.generated_ns);
    if (!p.nodes.empty()) {
      nodes.insert(p.nodes.begin(), p.nodes.end());
    } else {
      nodes.insert(p.node.empty() ? p.host : p.node);
    }
    out.ringbuf_drops += p.ringbuf_drops;
    out.lookups_skipped += p.lookups_skipped;
    for (const auto& [ip, g] : p.ips) {
      auto& m = out.ips[ip];
      for (const auto& [name, f] : g.feeds) m.feeds.emplace(name, f);
      for (const auto& [e, s] : g.entities) {
        auto [it, fresh] = m.entities.emplace(e, s);
        if (fresh) continue;
        // the same entity from two documents (one host sent twice): add up
        auto& t = it->second;
        t.first_seen_ns = std::min(t.first_seen_ns, s.first_seen_ns);
        t.last_seen_ns = std::max(t.last_seen_ns, s.last_seen_ns);
        t.connections += s.connections;
        t.closed += s.closed;
        t.carried_over += s.carried_over;
        t.bytes_in += s.bytes_in;
        t.bytes_out += s.bytes_out;
        t.max_in = std::max(t.max_in, s.max_in);
        t.max_out = std::max(t.max_out, s.max_out);
        t.large_transfers += s.large_transfers;
        t.severity = std::max(t.severity, s.severity);
      }
      auto& l = m.logins;
      const auto& o = g.logins;
      if (!o.empty()) {
        l.first_ns = l.empty() ? o.first_ns : std::min(l.first_ns, o.first_ns);
        l.last_ns = std::max(l.last_ns, o.last_ns);
        l.events += o.events;
        l.attempts += o.attempts;
        l.failures += o.failures;
        l.successes += o.successes;
        l.invalid_users += o.invalid_users;
        l.preauth_aborts += o.preauth_aborts;
        l.users_other += o.users_other;
        for (const auto& u : o.users) {
          if (std::find(l.users.begin(), l.users.end(), u) != l.users.end()) continue;
          if (l.users.size() < LoginActivity::kMaxUsers) {
            l.users.push_back(u);
          } else {
            ++l.users_other;
          }
        }
        l.methods.insert(o.methods.begin(), o.methods.end());
        for (const auto& a : o.accepted) {
          if (l.accepted.size() < LoginActivity::kMaxAccepted) l.accepted.push_back(a);
        }
      }
      if (g.severity > m.severity) {
        m.severity = g.severity;
        m.reasons = g.reasons;
      } else if (g.severity == m.severity) {
        for (const auto& r : g.reasons) {
          if (std::find(m.reasons.begin(), m.reasons.end(), r) == m.reasons.end()) m.reasons.push_back(r);
        }
      }
    }
  }
  out.nodes.assign(nodes.begin(), nodes.end());
  out.id = "fleet/" + format_time(out.window_start_ns);
  return out;
}

}  // namespace badip::summary
