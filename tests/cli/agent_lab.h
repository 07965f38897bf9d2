#pragma once
// AgentLab: `badip run` against real services and a real attacker, for the
// end-to-end tests of the agent.
//
//   root namespace (this host)                   lab namespace (attacker 203.0.113.66)
//   listener "sshd"    192.0.2.1:22   ◄──────── connect(), send, close
//   listener "labhttp" 192.0.2.1:8080 ◄──────── "GET <n>\n" -> n bytes back
//   badip run --feed labfeed=<203.0.113.66/32> + real feeds, --allowlist 192.0.2.1
//
// The listeners are forked children that rename themselves (prctl), so the
// agent attributes connections to processes called "sshd" and "labhttp".
#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "badip/result.h"
#include "lab/lab.h"

namespace badip::test {

// A TCP listener in a forked child named `comm`. Each connection is read up
// to a newline; "GET <n>" is answered with n bytes, anything else with none;
// then the child reads to EOF and closes. Killed by the destructor.
class Listener {
 public:
  static Result<std::unique_ptr<Listener>> start(const char* addr, std::uint16_t port, const char* comm);
  ~Listener();
  Listener(const Listener&) = delete;
  Listener& operator=(const Listener&) = delete;
  pid_t pid() const { return pid_; }

 private:
  Listener() = default;
  pid_t pid_ = -1;
};

// From the lab namespace, `count` connections to addr:port, each sending
// `request` and reading the reply to EOF. Returns the bytes received in all.
Result<std::uint64_t> attack(const Lab& lab, const char* addr, std::uint16_t port, int count,
                             const std::string& request);

// Blocks until wall time modulo `period` is in [lo, hi) seconds (at most one period).
void align_to_window(std::chrono::seconds period, int lo, int hi);

// The JSON documents of an alert file, one a line.
std::vector<nlohmann::json> read_alerts(const std::string& path);
// Waits until the alert file holds a document of `kind`; returns all documents.
std::vector<nlohmann::json> wait_for_alert(const std::string& path, const std::string& kind,
                                           std::chrono::seconds timeout);

// The bad_ips[] element for `ip`, or null.
const nlohmann::json* find_ip(const nlohmann::json& alert, const std::string& ip);
// The entity of `ip` whose process comm is `comm` and port `port`, or null.
const nlohmann::json* find_entity(const nlohmann::json& bad_ip, const std::string& comm, int port);

}  // namespace badip::test
