#include "summary/render.h"

#include <fmt/core.h>

namespace badip::summary {
namespace {

std::string upper(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = char(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

std::string plural(std::uint64_t n, std::string_view one, std::string_view many) {
  return fmt::format("{} {}", n, n == 1 ? one : many);
}

std::string join(const std::vector<std::string>& v, std::string_view sep) {
  std::string out;
  for (std::size_t i = 0; i < v.size(); ++i) {
    if (i) out += sep;
    out += v[i];
  }
  return out;
}

std::string feed_text(const std::string& name, const FeedInfo& f) {
  std::string out = name + " (";
  out += f.category.empty() ? "no category" : f.category;
  if (f.confidence >= 0) out += fmt::format(", confidence {}", f.confidence);
  if (!f.prefix.empty()) out += ", " + f.prefix;
  for (const auto& [k, v] : f.metadata) out += fmt::format(", {}={}", k, v);
  return out + ")";
}

std::string process_text(const Entity& e) {
  std::string out = e.comm.empty() ? "unknown process" : e.comm;
  if (!e.exe.empty()) out += " (" + e.exe + ")";
  return out;
}

std::string title(const WindowSummary& w) {
  std::string kind = w.kind == "window" ? "alert" : w.kind == "immediate" ? "IMMEDIATE alert"
                     : w.kind == "fleet" ? "fleet report" : "open window";
  return fmt::format("badip {}: {} to {} ({})", kind, format_time(w.window_start_ns),
                     format_time(w.window_end_ns), w.timezone);
}

std::string where(const WindowSummary& w) {
  if (!w.nodes.empty()) return "nodes " + join(w.nodes, ", ");
  std::string out = "host " + (w.host.empty() ? std::string("-") : w.host);
  if (!w.node.empty()) out += ", node " + w.node;
  return out;
}

std::string completeness(const WindowSummary& w) {
  return fmt::format("{} (ring-buffer drops {}, lookups skipped {})",
                     w.ringbuf_drops == 0 && w.lookups_skipped == 0 ? "complete" : "INCOMPLETE",
                     w.ringbuf_drops, w.lookups_skipped);
}

std::string bytes_text(std::uint64_t total, std::uint64_t max, std::uint64_t closed) {
  return fmt::format("{} (max {}, mean {})", total, max, closed ? total / closed : 0);
}

std::string login_activity(const LoginActivity& l) {
  return fmt::format("{}, {}, {} ({} invalid user), {} pre-auth; first {}, last {}",
                     plural(l.attempts, "attempt", "attempts"), plural(l.successes, "success", "successes"),
                     plural(l.failures, "failure", "failures"), l.invalid_users, l.preauth_aborts,
                     format_time(l.first_ns), format_time(l.last_ns));
}

std::string bad_login_summary(const LoginActivity& l) {
  std::string users = l.users.empty() ? std::string("none named") : join(l.users, ", ");
  if (l.users_other) users += fmt::format(" (+{} more)", l.users_other);
  std::vector<std::string> methods(l.methods.begin(), l.methods.end());
  return fmt::format("users {}; methods {}", users, methods.empty() ? std::string("-") : join(methods, ", "));
}

std::string accepted_text(const SuccessfulLogin& a) {
  std::string out = fmt::format("{} via {} at {}", a.user.empty() ? "?" : a.user,
                                a.method.empty() ? "?" : a.method, format_time(a.time_ns));
  if (a.port) out += fmt::format(" (source port {})", *a.port);
  return out;
}

}  // namespace

std::string render_text(const WindowSummary& w) {
  std::string out;
  out += title(w) + "\n";
  out += where(w) + "\n";
  out += fmt::format("severity {}: {}, {}\n", upper(to_string(w.severity())),
                     plural(w.ips.size(), "bad IP", "bad IPs"), plural(w.connections(), "connection", "connections"));
  out += "completeness: " + completeness(w) + "\n";
  for (const auto& [ip, g] : w.ips) {
    out += "\n";
    out += fmt::format("{} {}: {}\n", ip.to_string(), upper(to_string(g.severity)),
                       plural(g.connections(), "connection", "connections"));
    for (const auto& r : g.reasons) out += "  why: " + r + "\n";
    for (const auto& [name, f] : g.feeds) out += "  feed: " + feed_text(name, f) + "\n";
    for (const auto& [e, s] : g.entities) {
      out += fmt::format("  {} port {}: {}, user {}, host {}{}{} [{}]\n", e.direction == Direction::In ? "in" : "out",
                         e.port, process_text(e), e.user.empty() ? "-" : e.user, e.host.empty() ? "-" : e.host,
                         e.node.empty() ? "" : ", node " + e.node,
                         e.container_id.empty() ? "" : ", container " + e.container_id.substr(0, 12),
                         to_string(s.severity));
      out += fmt::format("    {}, first {}, last {}\n", plural(s.connections, "connection", "connections"),
                         format_time(s.first_seen_ns), format_time(s.last_seen_ns));
      out += fmt::format("    bytes in {}, out {}; {} over {} bytes\n", bytes_text(s.bytes_in, s.max_in, s.closed),
                         bytes_text(s.bytes_out, s.max_out, s.closed), s.large_transfers, w.large_transfer_bytes);
    }
    if (!g.logins.empty()) {
      out += "  User Login Activity: " + login_activity(g.logins) + "\n";
      out += "  Bad Login Summary: " + bad_login_summary(g.logins) + "\n";
      for (const auto& a : g.logins.accepted) out += "  accepted: " + accepted_text(a) + "\n";
    }
  }
  return out;
}

std::string render_markdown(const WindowSummary& w) {
  std::string out;
  out += "# " + title(w) + "\n\n";
  out += fmt::format("{}. Severity **{}**: {}, {}. Completeness: {}.\n", where(w), to_string(w.severity()),
                     plural(w.ips.size(), "bad IP", "bad IPs"), plural(w.connections(), "connection", "connections"),
                     completeness(w));
  for (const auto& [ip, g] : w.ips) {
    out += fmt::format("\n## {} ({})\n\n", ip.to_string(), to_string(g.severity));
    for (const auto& r : g.reasons) out += "- Why: " + r + "\n";
    for (const auto& [name, f] : g.feeds) out += "- Feed: " + feed_text(name, f) + "\n";
    if (!g.entities.empty()) {
      out += "\n| direction | port | process | user | host | container | connections | first seen | last seen "
             "| bytes in (total/max/mean) | bytes out (total/max/mean) | large | severity |\n";
      out += "|---|---|---|---|---|---|---|---|---|---|---|---|---|\n";
      for (const auto& [e, s] : g.entities) {
        out += fmt::format("| {} | {} | {} | {} | {} | {} | {} | {} | {} | {}/{}/{} | {}/{}/{} | {} | {} |\n",
                           e.direction == Direction::In ? "in" : "out", e.port, process_text(e),
                           e.user.empty() ? "-" : e.user, e.host.empty() ? "-" : e.host,
                           e.container_id.empty() ? "-" : e.container_id.substr(0, 12), s.connections,
                           format_time(s.first_seen_ns), format_time(s.last_seen_ns), s.bytes_in, s.max_in,
                           s.closed ? s.bytes_in / s.closed : 0, s.bytes_out, s.max_out,
                           s.closed ? s.bytes_out / s.closed : 0, s.large_transfers, to_string(s.severity));
      }
    }
    if (!g.logins.empty()) {
      out += "\n**User Login Activity**: " + login_activity(g.logins) + "\n\n";
      out += "**Bad Login Summary**: " + bad_login_summary(g.logins) + "\n";
      for (const auto& a : g.logins.accepted) out += "\n- Accepted: " + accepted_text(a);
      if (!g.logins.accepted.empty()) out += "\n";
    }
  }
  return out;
}

std::string render_json(const WindowSummary& w) { return to_json(w).dump(); }

}  // namespace badip::summary
