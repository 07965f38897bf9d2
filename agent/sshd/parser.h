#pragma once
// OpenSSH log lines -> login outcomes.
//
// A line is a syslog record (RFC 3164 "Mon DD HH:MM:SS host sshd[pid]: msg",
// RFC 5424 "<pri>1 2019-07-08T17:40:16-04:00 host sshd 123 - - msg",
// rsyslog's ISO "2023-11-14T00:20:42.738+01:00 host sshd[1]: msg", a
// journal-style "host sshd[pid]: msg") or a bare message as `sshd -E file`
// writes it. Program sshd, sshd-session (OpenSSH >= 9.8), sshd-auth or the
// old "sshd(pam_unix)" tag.
//
// Every line falls in exactly one LineKind; nothing is fatal.
#include <atomic>
#include <cstdint>
#include <string>
#include <string_view>

#include "sshd/login_event.h"

namespace badip::sshd {

enum class LineKind : std::uint8_t {
  Event,      // an authentication outcome with the address it came from
  NoAddress,  // an authentication outcome that names no IP (a hostname, or none at all)
  NotAuth,    // an sshd message understood to be no authentication outcome (session, logout, …)
  Other,      // not an sshd line (another program, blank, comment)
  Unparsed,   // an sshd line this parser does not understand
};

std::string_view to_string(LineKind kind);
std::string_view to_string(LoginResult result);

struct ParsedLine {
  LineKind kind = LineKind::Other;
  // Which message this was, e.g. "failed", "accepted", "closed-authenticating",
  // "pam-failure", "logout"; empty for Other/Unparsed. Static storage.
  std::string_view rule;
  // Filled for Event; for NoAddress every field but `address` is meaningful.
  LoginEvent event;
  // NoAddress: the host text sshd gave instead of an address ("" if none).
  std::string host;
};

// Pure. `year_hint` completes RFC 3164 timestamps, which carry no year; they
// are taken as UTC. Lines without any timestamp give wall_ns == 0.
ParsedLine parse_line(std::string_view line, int year_hint);

// Counters for the Prometheus exporter: relaxed atomics, so the exporter's
// thread may read them while the follower's thread counts.
struct ParseStats {
  std::atomic<std::uint64_t> lines{0};
  std::atomic<std::uint64_t> success{0};
  std::atomic<std::uint64_t> failure{0};
  std::atomic<std::uint64_t> invalid_user{0};
  std::atomic<std::uint64_t> preauth_abort{0};
  std::atomic<std::uint64_t> no_address{0};
  std::atomic<std::uint64_t> not_auth{0};
  std::atomic<std::uint64_t> other{0};
  std::atomic<std::uint64_t> unparsed{0};

  void count(const ParsedLine& p);
};

// Convenience form: counts the line and returns its event, if it has one.
std::optional<LoginEvent> parse_line(std::string_view line, ParseStats& stats, int year_hint);

}  // namespace badip::sshd

namespace badip::sshd {

// parse_line for live logs: the year of RFC 3164 timestamps comes from `now_ns`
// (Unix ns, injected), and a line that would then lie more than a day in the
// future is taken from the year before (a December line read in January).
ParsedLine parse_line_at(std::string_view line, std::int64_t now_ns);

}  // namespace badip::sshd

namespace badip::sshd {

// A message whose program, pid and time came from elsewhere (a journald
// entry's SYSLOG_IDENTIFIER, _PID and timestamp), without any syslog prefix.
ParsedLine parse_message(std::string_view message, std::string_view program, std::uint32_t pid,
                         std::int64_t wall_ns);

}  // namespace badip::sshd
