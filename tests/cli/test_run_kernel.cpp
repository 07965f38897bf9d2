// End to end: the real `badip run` binary, real BPF in the real kernel, a
// lab attacker in a network namespace, real feed files, real listeners.
#include <signal.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "cli/agent_lab.h"
#include "lab/lab.h"
#include "sshd/sshd_lab.h"
#include "summary/helpers.h"

using namespace std::chrono_literals;
using badip::summary::test::TempDir;
using namespace badip::test;
using nlohmann::json;

namespace {

const std::string kShared = BADIP_SHARED_DIR "/data/feeds/";

struct AgentFiles {
  TempDir dir;
  std::string feed = dir.str() + "/labfeed.txt";
  std::string allow = dir.str() + "/allow.txt";
  std::string state = dir.str() + "/state";
  std::string alerts = dir.str() + "/alerts.jsonl";
  AgentFiles() {
    std::ofstream(feed) << "# the lab attacker\n203.0.113.66\n";
    std::ofstream(allow) << "# this host's lab address\n192.0.2.1\n";
  }
};

std::vector<std::string> agent_argv(const AgentFiles& f, const std::string& window,
                                    std::vector<std::string> extra = {}) {
  std::vector<std::string> argv{BADIP_BINARY, "run",
                                "--feed", "labfeed=" + f.feed,
                                "--feed-category", "labfeed=lab-attacker",
                                "--feed-confidence", "labfeed=90",
                                "--feed", kShared + "firehol/firehol_level1.netset",
                                "--feed", kShared + "spamhaus/drop.txt",
                                "--allowlist", f.allow,
                                "--window", window,
                                "--public-service", "labhttp:8080",
                                "--state-dir", f.state,
                                "--alert-file", f.alerts};
  const char* mode = std::getenv("BADIP_TEST_ATTACH_MODE");
  argv.push_back("--attach-mode");
  argv.push_back(mode && *mode ? mode : "auto");
  for (auto& e : extra) argv.push_back(std::move(e));
  bool has_metrics = false;
  for (const auto& a : argv) has_metrics |= a == "--metrics-address";
  if (!has_metrics) {
    argv.push_back("--metrics-address");
    argv.push_back("off");
  }
  return argv;
}

std::unique_ptr<Subprocess> start_agent(const std::vector<std::string>& argv) {
  auto p = Subprocess::start(argv);
  REQUIRE(p.ok());
  auto agent = std::move(*p);
  bool up = agent->wait_for_output("running:", 60s);
  INFO(agent->err());
  REQUIRE(up);
  return agent;
}

// `badip report --state-dir D --format json`: the open window as last flushed.
json open_window(const std::string& state) {
  auto r = run_command({BADIP_BINARY, "report", "--state-dir", state, "--format", "json"}, 20s);
  auto j = json::parse(r.out, nullptr, false);
  return j.is_discarded() ? json::object() : j;
}

std::uint64_t entity_connections(const json& doc, const std::string& ip, const std::string& comm, int port) {
  const json* b = find_ip(doc, ip);
  if (!b) return 0;
  const json* e = find_entity(*b, comm, port);
  return e ? e->value("connections", 0ull) : 0;
}

int count_kind(const std::vector<json>& alerts, const std::string& kind) {
  int n = 0;
  for (const auto& a : alerts) n += a.value("kind", "") == kind;
  return n;
}

}  // namespace

TEST_CASE("badip run: one alert per window with the right counts, bytes and severities", "[kernel][run]") {
  auto lab = Lab::create();
  REQUIRE(lab.ok());
  auto sshd = Listener::start(Lab::kRootV4, 22, "sshd");
  REQUIRE(sshd.ok());
  auto http = Listener::start(Lab::kRootV4, 8080, "labhttp");
  REQUIRE(http.ok());
  AgentFiles f;
  auto agent = start_agent(agent_argv(f, "10s"));

  // All five connections inside one 10 s window.
  align_to_window(10s, 1, 4);
  REQUIRE(attack(**lab, Lab::kRootV4, 22, 3, "SSH-2.0-probe\n").ok());
  auto small = attack(**lab, Lab::kRootV4, 8080, 1, "GET 100\n");
  auto large = attack(**lab, Lab::kRootV4, 8080, 1, "GET 51200\n");
  REQUIRE(small.ok());
  REQUIRE(large.ok());
  CHECK(*small == 100);
  CHECK(*large == 51200);

  auto alerts = wait_for_alert(f.alerts, "window", 30s);
  INFO(agent->err());
  REQUIRE(count_kind(alerts, "window") == 1);
  const json& a = alerts.back();
  INFO(a.dump(2));
  CHECK(a["completeness"]["ringbuf_drops"] == 0);
  REQUIRE(a["bad_ips"].size() == 1);  // 192.0.2.1 is allowlisted, nothing else is listed
  const json* bad = find_ip(a, "203.0.113.66");
  REQUIRE(bad);
  bool labfeed = false;
  for (const auto& feed : (*bad)["feeds"]) {
    if (feed["name"] == "labfeed") {
      labfeed = true;
      CHECK(feed["category"] == "lab-attacker");
      CHECK(feed["confidence"] == 90);
      CHECK(feed["prefix"] == "203.0.113.66");
    }
  }
  CHECK(labfeed);
  REQUIRE((*bad)["entities"].size() == 2);

  const json* ssh = find_entity(*bad, "sshd", 22);
  REQUIRE(ssh);
  CHECK((*ssh)["direction"] == "in");
  CHECK((*ssh)["connections"] == 3);
  CHECK((*ssh)["closed"] == 3);
  CHECK((*ssh)["large_transfers"] == 0);
  CHECK((*ssh)["bytes_in"]["total"] == 3 * std::string("SSH-2.0-probe\n").size());
  CHECK((*ssh)["severity"] == "high");
  CHECK((*ssh)["process"]["pids"][0] == (*sshd)->pid());

  const json* web = find_entity(*bad, "labhttp", 8080);
  REQUIRE(web);
  CHECK((*web)["connections"] == 2);
  CHECK((*web)["large_transfers"] == 1);
  CHECK((*web)["bytes_out"]["total"] == 51300);
  CHECK((*web)["bytes_out"]["max"] == 51200);
  // public service: informational, raised one level by the large transfer
  CHECK((*web)["severity"] == "low");
  CHECK((*bad)["severity"] == "high");
  CHECK(a["totals"]["connections"] == 5);

  // Stopping and starting again emits nothing twice.
  agent->signal(SIGTERM);
  CHECK(agent->finish(20s).exit_code == 0);
  auto again = start_agent(agent_argv(f, "10s"));
  again->signal(SIGTERM);
  again->finish(20s);
  CHECK(count_kind(read_alerts(f.alerts), "window") == 1);
}

TEST_CASE("badip run: kill -9 mid-window resumes the counts and emits exactly one alert", "[kernel][run]") {
  auto lab = Lab::create();
  REQUIRE(lab.ok());
  auto sshd = Listener::start(Lab::kRootV4, 22, "sshd");
  REQUIRE(sshd.ok());
  AgentFiles f;
  auto agent = start_agent(agent_argv(f, "30s"));

  align_to_window(30s, 1, 4);
  REQUIRE(attack(**lab, Lab::kRootV4, 22, 2, "x\n").ok());
  // Wait (bounded) until the periodic flush has stored both connections.
  auto deadline = std::chrono::steady_clock::now() + 12s;
  while (entity_connections(open_window(f.state), "203.0.113.66", "sshd", 22) < 2 &&
         std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(250ms);
  REQUIRE(entity_connections(open_window(f.state), "203.0.113.66", "sshd", 22) == 2);

  agent->signal(SIGKILL);
  agent->finish(10s);
  auto second = start_agent(agent_argv(f, "30s"));
  REQUIRE(attack(**lab, Lab::kRootV4, 22, 1, "x\n").ok());

  auto alerts = wait_for_alert(f.alerts, "window", 45s);
  INFO(second->err());
  REQUIRE(count_kind(alerts, "window") == 1);
  CHECK(entity_connections(alerts.back(), "203.0.113.66", "sshd", 22) == 3);
  second->signal(SIGTERM);
  second->finish(20s);
  CHECK(count_kind(read_alerts(f.alerts), "window") == 1);
}

TEST_CASE("badip run: a real sshd login from a bad IP is critical and alerted at once", "[kernel][run][sshd]") {
  auto lab = Lab::create();
  REQUIRE(lab.ok());
  auto sshd = SshdLab::start(**lab);
  REQUIRE(sshd.ok());
  AgentFiles f;
  auto agent = start_agent(agent_argv(f, "30s", {"--ssh-log", (*sshd)->log_path()}));

  align_to_window(30s, 1, 4);
  for (int i = 0; i < 3; ++i) CHECK((*sshd)->login_with_password("wrong-password").exit_code != 0);
  CHECK((*sshd)->login_with_key("true").exit_code == 0);

  // The immediate alert comes before the window closes.
  auto early = wait_for_alert(f.alerts, "immediate", 20s);
  INFO(agent->err());
  REQUIRE(count_kind(early, "immediate") == 1);
  CHECK(count_kind(early, "window") == 0);

  auto alerts = wait_for_alert(f.alerts, "window", 45s);
  REQUIRE(count_kind(alerts, "window") == 1);
  const json* bad = nullptr;
  for (const auto& a : alerts)
    if (a["kind"] == "window") bad = find_ip(a, "203.0.113.66");
  REQUIRE(bad);
  INFO(bad->dump(2));
  const json& logins = (*bad)["ssh_logins"];
  CHECK(logins["attempts"] == 4);
  CHECK(logins["failures"] == 3);
  CHECK(logins["successes"] == 1);
  CHECK(logins["users"] == json::array({"root"}));
  CHECK(logins["methods"] == json::array({"password", "publickey"}));
  CHECK((*bad)["severity"] == "critical");
  const json* e = find_entity(*bad, "sshd", (*sshd)->port());
  REQUIRE(e);
  CHECK((*e)["severity"] == "critical");
}

TEST_CASE("badip run: a real Prometheus scrapes the bad-connection counter", "[kernel][run][prometheus]") {
  auto lab = Lab::create();
  REQUIRE(lab.ok());
  auto sshd = Listener::start(Lab::kRootV4, 22, "sshd");
  REQUIRE(sshd.ok());
  AgentFiles f;
  auto agent = start_agent(agent_argv(f, "1h", {"--metrics-address", "127.0.0.1:0"}));
  // "metrics on 127.0.0.1:0 (port N)"
  std::string err = agent->err();
  auto at = err.find("(port ");
  REQUIRE(at != std::string::npos);
  std::string agent_port = err.substr(at + 6, err.find(')', at) - at - 6);

  // A free loopback port for Prometheus itself.
  int s = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::bind(s, reinterpret_cast<sockaddr*>(&sa), sizeof(sa)) == 0);
  socklen_t len = sizeof(sa);
  ::getsockname(s, reinterpret_cast<sockaddr*>(&sa), &len);
  std::string prom_port = std::to_string(ntohs(sa.sin_port));
  ::close(s);

  std::ofstream(f.dir.str() + "/prometheus.yml")
      << "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n"
      << "scrape_configs:\n  - job_name: badip\n    static_configs:\n      - targets: ['127.0.0.1:" << agent_port
      << "']\n";
  auto prom = Subprocess::start({"prometheus", "--config.file=" + f.dir.str() + "/prometheus.yml",
                                 "--storage.tsdb.path=" + f.dir.str() + "/tsdb",
                                 "--web.listen-address=127.0.0.1:" + prom_port});
  REQUIRE(prom.ok());
  REQUIRE((*prom)->wait_for_output("Server is ready to receive web requests", 60s));

  REQUIRE(attack(**lab, Lab::kRootV4, 22, 4, "x\n").ok());

  // Query until Prometheus has scraped all four (bounded).
  const std::string url = "http://127.0.0.1:" + prom_port +
                          "/api/v1/query?query=sum(badip_bad_ip_connections_total%7Bfeed%3D%22labfeed%22%7D)";
  std::string value;
  auto deadline = std::chrono::steady_clock::now() + 40s;
  while (std::chrono::steady_clock::now() < deadline) {
    auto r = run_command({"curl", "-s", url}, 5s);
    auto j = json::parse(r.out, nullptr, false);
    if (!j.is_discarded() && j.value("status", "") == "success" && !j["data"]["result"].empty()) {
      value = j["data"]["result"][0]["value"][1].get<std::string>();
      if (value == "4") break;
    }
    std::this_thread::sleep_for(500ms);
  }
  CHECK(value == "4");

  // Every scraped series name follows the conventions, and no label holds an IP.
  auto r = run_command({"curl", "-s", "http://127.0.0.1:" + agent_port + "/metrics"}, 5s);
  CHECK(r.out.find("badip_connections_observed_total") != std::string::npos);
  CHECK(r.out.find("203.0.113.66") == std::string::npos);
  (*prom)->signal(SIGTERM);
  (*prom)->finish(20s);
}
