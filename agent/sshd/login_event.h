#pragma once
// LoginEvent: one sshd authentication outcome, as parsed from a log line or a
// journald entry. The sshd part produces these; the summary part counts them
// per bad IP.
#include <cstdint>
#include <optional>
#include <string>

#include "badip/ip_address.h"

namespace badip {

enum class LoginResult : std::uint8_t {
  Success,         // Accepted … for USER from ADDR
  Failure,         // Failed …, PAM failure, max attempts, closed/disconnected while authenticating
  InvalidUser,     // Invalid user USER from ADDR (also counts as a failure)
  PreauthAbort,    // banner/key exchange failure, no identification string: an attempt, no login
};

struct LoginEvent {
  std::int64_t wall_ns = 0;     // when sshd logged it (Unix ns); 0 if the line had no time
  LoginResult result = LoginResult::Failure;
  std::string method;           // "password", "publickey", "keyboard-interactive", ... or ""
  std::string user;             // "" when the line names none
  IpAddress address;
  std::optional<std::uint16_t> port;
  std::string program;          // "sshd" or "sshd-session"
  std::uint32_t pid = 0;        // sshd's pid from the syslog tag, 0 if absent
  // How many credential attempts this line reports. 1 for "Accepted …" and
  // "Failed <method> …"; N for "message repeated N times: [ Failed … ]"; 0 for
  // lines that only restate an attempt another line already reports (PAM
  // failures, "Invalid user", disconnects while authenticating, "Failed none"
  // probes, max-attempts notices, pre-auth aborts). Summaries add this up for
  // "attempts"; every event still counts for user names, methods, first/last.
  std::uint32_t attempts = 1;
  bool invalid_user = false;    // sshd said the user does not exist ("invalid/illegal user")
};

}  // namespace badip
