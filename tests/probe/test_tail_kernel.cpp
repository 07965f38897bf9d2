// The real `badip tail` binary against the kernel. Root only.
#include <signal.h>

#include <sstream>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "kernel_util.h"
#include "lab/lab.h"

using namespace badip;
using namespace badip::test;

namespace {

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string l; std::getline(in, l);)
    if (!l.empty()) lines.push_back(l);
  return lines;
}

std::unique_ptr<Subprocess> start_tail(std::vector<std::string> args) {
  std::vector<std::string> argv{BADIP_BINARY, "tail", "--attach-mode", attach_mode_name()};
  argv.insert(argv.end(), args.begin(), args.end());
  auto p = Subprocess::start(argv);
  REQUIRE(p.ok());
  // The probe logs this once its programs are attached.
  bool ready = (*p)->wait_for_output("attached in", std::chrono::seconds(30));
  INFO("tail stderr: " << (*p)->err());
  REQUIRE(ready);
  return std::move(*p);
}

}  // namespace

TEST_CASE("badip tail --json: inbound open and close from the lab", "[kernel][tail]") {
  auto lab = Lab::create();
  REQUIRE(lab.ok());
  Endpoint srv{AF_INET, Lab::kRootV4, 0};
  int lfd = listen_on(srv);
  REQUIRE(lfd >= 0);
  auto tail = start_tail({"--json", "--direction", "in", "--port", std::to_string(srv.port),
                          "--count", "2"});
  pid_t client = (*lab)->fork_in_ns([&] { return connect_send_close(srv, 20000); }, "labclient");
  CHECK(accept_drain_close(lfd) == 20000);
  CHECK(wait_child(client, std::chrono::seconds(10)) == 0);
  close(lfd);

  auto r = tail->finish(std::chrono::seconds(20));
  INFO("stdout: " << r.out << "\nstderr: " << r.err);
  CHECK_FALSE(r.timed_out);
  CHECK(r.exit_code == 0);
  auto lines = lines_of(r.out);
  REQUIRE(lines.size() == 2);
  auto open = nlohmann::json::parse(lines[0]);
  auto close_ev = nlohmann::json::parse(lines[1]);
  for (const char* key : {"ts", "event", "direction", "pid", "comm", "local_addr", "local_port",
                          "remote_addr", "remote_port", "bytes_received", "bytes_sent",
                          "duration_ms", "owner", "mode"}) {
    CHECK(open.contains(key));
    CHECK(close_ev.contains(key));
  }
  CHECK(open["event"] == "open");
  CHECK(open["direction"] == "in");
  CHECK(open["remote_addr"] == Lab::kNsV4);
  CHECK(open["local_addr"] == Lab::kRootV4);
  CHECK(open["local_port"] == srv.port);
  CHECK(open["pid"] == getpid());
  CHECK(open["comm"] == own_comm());
  CHECK(open["owner"] == "task");
  if (attach_mode_name() != "auto") CHECK(open["mode"] == attach_mode_name());
  CHECK(close_ev["event"] == "close");
  CHECK(close_ev["bytes_received"] == 20000);
  CHECK(close_ev["bytes_sent"] == 0);
  CHECK(close_ev["remote_port"] == open["remote_port"]);
  CHECK(r.err.find(" 2 shown, 0 dropped") != std::string::npos);
}

TEST_CASE("badip tail text lines, --remote filter, IPv6", "[kernel][tail]") {
  auto lab = Lab::create();
  REQUIRE(lab.ok());
  Endpoint srv{AF_INET6, Lab::kRootV6, 0};
  int lfd = listen_on(srv);
  REQUIRE(lfd >= 0);
  auto tail = start_tail({"--remote", "2001:db8:2::/64", "--count", "2"});
  pid_t client = (*lab)->fork_in_ns([&] { return connect_send_close(srv, 20000); }, "labclient");
  CHECK(accept_drain_close(lfd) == 20000);
  CHECK(wait_child(client, std::chrono::seconds(10)) == 0);
  close(lfd);
  auto r = tail->finish(std::chrono::seconds(20));
  INFO("stdout: " << r.out << "\nstderr: " << r.err);
  CHECK(r.exit_code == 0);
  auto lines = lines_of(r.out);
  REQUIRE(lines.size() == 2);
  std::string local = "[" + std::string(Lab::kRootV6) + "]:" + std::to_string(srv.port);
  std::string who = own_comm() + "[" + std::to_string(getpid()) + "]";
  CHECK(lines[0].find(" in  open  " + who + " " + local + " <- [2001:db8:2::66]:") != std::string::npos);
  CHECK(lines[1].find(" in  close " + who + " " + local + " <- [2001:db8:2::66]:") != std::string::npos);
  CHECK(lines[1].find(" rx=20000 tx=0 dur=") != std::string::npos);
}

TEST_CASE("badip tail exits cleanly on SIGINT and SIGTERM with a summary", "[kernel][tail]") {
  for (int sig : {SIGINT, SIGTERM}) {
    auto tail = start_tail({"--json"});
    tail->signal(sig);
    auto r = tail->finish(std::chrono::seconds(10));
    INFO("signal " << sig << " stderr: " << r.err);
    CHECK_FALSE(r.timed_out);
    CHECK(r.exit_code == 0);
    auto err_lines = lines_of(r.err);
    REQUIRE_FALSE(err_lines.empty());
    CHECK(err_lines.back().starts_with("badip tail: "));
    CHECK(err_lines.back().find(" events seen, ") != std::string::npos);
    CHECK(err_lines.back().find(" dropped (") != std::string::npos);
  }
}

TEST_CASE("badip tail --duration stops by itself", "[kernel][tail]") {
  auto tail = start_tail({"--duration", "0.2", "--port", "9"});
  auto r = tail->finish(std::chrono::seconds(10));
  CHECK_FALSE(r.timed_out);
  CHECK(r.exit_code == 0);
  CHECK(r.out.empty());
}

TEST_CASE("badip tail rejects bad arguments", "[tail]") {
  auto r = run_command({BADIP_BINARY, "tail", "--remote", "203.0.113.1/24"});
  CHECK(r.exit_code == 2);
  CHECK(r.err == "badip tail: --remote: host bits set in CIDR '203.0.113.1/24'\n");
  auto m = run_command({BADIP_BINARY, "tail", "--attach-mode", "xdp"});
  CHECK(m.exit_code == 2);
  auto d = run_command({BADIP_BINARY, "tail", "--direction", "sideways"});
  CHECK(d.exit_code == 2);
}

TEST_CASE("badip tail without privileges says what is missing", "[kernel][tail]") {
  // Needs root to drop to nobody with no capabilities at all.
  auto r = run_command({"setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
                        "--inh-caps=-all", "--bounding-set=-all", BADIP_BINARY, "tail"});
  CHECK(r.exit_code == 1);
  CHECK(r.out.empty());
  CHECK(r.err ==
        "badip tail: badip needs root, or CAP_BPF and CAP_PERFMON, to load its BPF programs: "
        "Operation not permitted\n");
}
