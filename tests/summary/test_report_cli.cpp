// `badip report` run as the real binary on stores and files the test made.
#include <sys/wait.h>

#include <catch2/catch.hpp>
#include <fstream>
#include <sstream>

#include "helpers.h"
#include "summary/summary.h"

using namespace badip;
using namespace badip::summary;
using namespace badip::summary::test;
using namespace std::chrono_literals;

namespace {

struct Run {
  int status = -1;
  std::string out;
  std::string err;
};

std::string slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

Run badip_cmd(const TempDir& dir, const std::string& args) {
  std::string out = dir.str() + "/stdout", err = dir.str() + "/stderr";
  std::string cmd = std::string(BADIP_BINARY) + " " + args + " >" + out + " 2>" + err;
  int rc = std::system(cmd.c_str());
  Run r;
  r.status = WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
  r.out = slurp(out);
  r.err = slurp(err);
  return r;
}

class Collect : public AlertSink {
 public:
  Status emit(const WindowSummary&, const nlohmann::json& doc) override {
    lines.push_back(doc.dump());
    return {};
  }
  std::vector<std::string> lines;
};

// One node's day: 3 sshd connections and 2 to nginx:8080 (declared public),
// one of those 50 KB; then one connection in the next window (left open).
std::vector<std::string> make_node(const std::string& dir, const std::string& host, const std::string& node) {
  auto store = StateStore::open(dir);
  REQUIRE(store);
  ManualClock clock(kDay0 + 1 * kSec);
  SummaryConfig cfg;
  cfg.period = 24h;
  cfg.host = host;
  cfg.node = node;
  cfg.public_services = {*parse_public_service("nginx:8080")};
  auto sink = std::make_shared<Collect>();
  auto sum = Summary::open(cfg, **store, clock, {sink});
  REQUIRE(sum);
  auto feeds = lab_feed();
  auto sshd = proc(100, "sshd", "/usr/sbin/sshd");
  auto nginx = proc(200, "nginx", "/usr/sbin/nginx", "www-data");
  for (int i = 0; i < 3; ++i) {
    auto f = open_in(&sshd, feeds, "203.0.113.66", 22, i, kDay0 + (10 + i) * kSec);
    (*sum)->on_finding(f);
    (*sum)->on_finding(close_of(f, 100, 200, kDay0 + (20 + i) * kSec));
  }
  auto a = open_in(&nginx, feeds, "203.0.113.66", 8080, 10, kDay0 + 30 * kSec);
  auto b = open_in(&nginx, feeds, "203.0.113.66", 8080, 11, kDay0 + 31 * kSec);
  (*sum)->on_finding(a);
  (*sum)->on_finding(b);
  (*sum)->on_finding(close_of(a, 1000, 51200, kDay0 + 40 * kSec));
  (*sum)->on_finding(close_of(b, 500, 600, kDay0 + 41 * kSec));
  clock.set(kDay0 + 86400 * kSec);
  REQUIRE((*sum)->tick());
  (*sum)->on_finding(open_in(&sshd, feeds, "203.0.113.66", 22, 20, kDay0 + 86401 * kSec));
  REQUIRE((*sum)->flush());
  return sink->lines;
}

}  // namespace

TEST_CASE("report --last renders the emitted alert as text") {
  TempDir dir;
  make_node(dir.str() + "/state", "web-1", "node-a");
  auto r = badip_cmd(dir, "report --state-dir " + dir.str() + "/state --last");
  CHECK(r.status == 0);
  CHECK(r.err == "");
  CHECK(r.out ==
        "badip alert: 2026-12-03T00:00:00Z to 2026-12-04T00:00:00Z (UTC)\n"
        "host web-1, node node-a\n"
        "severity HIGH: 1 bad IP, 5 connections\n"
        "completeness: complete (ring-buffer drops 0, lookups skipped 0)\n"
        "\n"
        "203.0.113.66 HIGH: 5 connections\n"
        "  why: sshd on port 22 is exposed to a listed address\n"
        "  feed: lab (attacker, confidence 90, 203.0.113.0/24, source=test)\n"
        "  in port 8080: nginx (/usr/sbin/nginx), user www-data, host web-1, node node-a [low]\n"
        "    2 connections, first 2026-12-03T00:00:30Z, last 2026-12-03T00:00:41Z\n"
        "    bytes in 1500 (max 1000, mean 750), out 51800 (max 51200, mean 25900); 1 over 10240 bytes\n"
        "  in port 22: sshd (/usr/sbin/sshd), user root, host web-1, node node-a [high]\n"
        "    3 connections, first 2026-12-03T00:00:10Z, last 2026-12-03T00:00:22Z\n"
        "    bytes in 300 (max 100, mean 100), out 600 (max 200, mean 200); 0 over 10240 bytes\n");
}

TEST_CASE("report --window-start as JSON, and the open window by default") {
  TempDir dir;
  make_node(dir.str() + "/state", "web-1", "node-a");
  auto r = badip_cmd(dir, "report --state-dir " + dir.str() + "/state --window-start 2026-12-03T00:00:00Z --format json");
  CHECK(r.status == 0);
  auto j = nlohmann::json::parse(r.out);
  CHECK(j["id"] == "node-a/window/2026-12-03T00:00:00Z");
  CHECK(j["totals"]["connections"] == 5);
  CHECK(r.out.back() == '\n');
  CHECK(r.out.find('\n') == r.out.size() - 1);  // one line

  auto open = badip_cmd(dir, "report --state-dir " + dir.str() + "/state");
  CHECK(open.status == 0);
  CHECK(open.out.substr(0, open.out.find('\n')) ==
        "badip open window: 2026-12-04T00:00:00Z to 2026-12-05T00:00:00Z (UTC)");
  CHECK(open.out.find("\nseverity HIGH: 1 bad IP, 1 connection\n") != std::string::npos);

  auto md = badip_cmd(dir, "report --state-dir " + dir.str() + "/state --last --format markdown");
  CHECK(md.status == 0);
  CHECK(md.out.substr(0, md.out.find('\n')) == "# badip alert: 2026-12-03T00:00:00Z to 2026-12-04T00:00:00Z (UTC)");
}

TEST_CASE("report: missing window and missing store") {
  TempDir dir;
  make_node(dir.str() + "/state", "web-1", "node-a");
  auto r = badip_cmd(dir, "report --state-dir " + dir.str() + "/state --window-start 2026-01-01T00:00:00Z");
  CHECK(r.status == 1);
  CHECK(r.out == "");
  CHECK(r.err == "badip: report: no alert for the window starting 2026-01-01T00:00:00Z in " + dir.str() +
                     "/state/state.db\n");
  r = badip_cmd(dir, "report --state-dir " + dir.str() + "/none --last");
  CHECK(r.status == 2);
  CHECK(r.err == "badip: report: state store " + dir.str() + "/none/state.db: No such file or directory\n");
  r = badip_cmd(dir, "report --state-dir " + dir.str() + "/state --window-start tomorrow");
  CHECK(r.status == 2);
}

TEST_CASE("report --merge combines two nodes' alerts into a fleet report") {
  TempDir dir;
  auto a = make_node(dir.str() + "/a", "web-1", "node-a");
  auto b = make_node(dir.str() + "/b", "web-2", "node-b");
  REQUIRE(a.size() == 1);
  REQUIRE(b.size() == 1);
  {
    std::ofstream(dir.str() + "/a.jsonl") << a[0] << "\n";
    // a duplicate line and a broken one: the duplicate counts once, the broken one is named
    std::ofstream(dir.str() + "/b.jsonl") << b[0] << "\n{broken\n" << b[0] << "\n";
  }
  auto r = badip_cmd(dir, "report --merge " + dir.str() + "/a.jsonl " + dir.str() + "/b.jsonl");
  CHECK(r.status == 2);
  CHECK(r.err == dir.str() + "/b.jsonl:2: not JSON\n");
  std::istringstream lines(r.out);
  std::vector<std::string> v;
  for (std::string l; std::getline(lines, l);) v.push_back(l);
  REQUIRE(v.size() >= 8);
  CHECK(v[0] == "badip fleet report: 2026-12-03T00:00:00Z to 2026-12-04T00:00:00Z (UTC)");
  CHECK(v[1] == "nodes node-a, node-b");
  CHECK(v[2] == "severity HIGH: 1 bad IP, 10 connections");
  CHECK(v[5] == "203.0.113.66 HIGH: 10 connections");
  CHECK(std::count(v.begin(), v.end(), "  in port 22: sshd (/usr/sbin/sshd), user root, host web-2, node node-b [high]") == 1);

  // only the good file: exit 0
  r = badip_cmd(dir, "report --merge " + dir.str() + "/a.jsonl --format json");
  CHECK(r.status == 0);
  CHECK(nlohmann::json::parse(r.out)["nodes"] == nlohmann::json::array({"node-a"}));
}
