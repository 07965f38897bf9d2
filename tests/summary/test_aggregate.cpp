#include <catch2/catch.hpp>

#include "helpers.h"
#include "summary/render.h"

using namespace badip;
using namespace badip::summary;
using namespace badip::summary::test;

namespace {

// 3 connections to sshd on 22 and 2 to nginx on 8080 (one of 50 KB), from one
// bad IP; one outbound connection of curl to another bad IP.
WindowSummary scenario(const SeverityPolicy& policy) {
  Aggregator agg("web-1", "node-a");
  auto& w = agg.summary();
  w.window_start_ns = kDay0;
  w.window_end_ns = kDay0 + 86400 * kSec;
  auto feeds = lab_feed();
  auto sshd = proc(100, "sshd", "/usr/sbin/sshd");
  auto nginx = proc(200, "nginx", "/usr/sbin/nginx", "www-data");
  auto curl = proc(300, "curl", "/usr/bin/curl", "alice");
  for (int i = 0; i < 3; ++i) {
    auto f = open_in(&sshd, feeds, "203.0.113.66", 22, 10 + i, kDay0 + (10 + i) * kSec);
    agg.add(f);
    agg.add(close_of(f, 100, 200, kDay0 + (20 + i) * kSec));
  }
  auto a = open_in(&nginx, feeds, "203.0.113.66", 8080, 20, kDay0 + 30 * kSec);
  auto b = open_in(&nginx, feeds, "203.0.113.66", 8080, 21, kDay0 + 31 * kSec);
  agg.add(a);
  agg.add(b);
  agg.add(close_of(a, 1000, 51200, kDay0 + 40 * kSec));
  agg.add(close_of(b, 500, 600, kDay0 + 41 * kSec));
  std::vector<FeedHit> c2{{"c2-list", "botnet-c2", -1, "198.51.100.7/32", {}}};
  Finding out;
  out.kind = EventKind::Open;
  out.direction = Direction::Out;
  out.wall_ns = kDay0 + 50 * kSec;
  out.sock_id = 30;
  out.remote = ip("198.51.100.7");
  out.remote_port = 443;
  out.local = ip("192.0.2.1");
  out.local_port = 51234;
  out.process = &curl;
  out.feeds = c2;
  agg.add(out);
  w.timezone = "UTC";
  w.kind = "window";
  policy.apply(w);
  return w;
}

SeverityPolicy policy_8080_public() { return SeverityPolicy({*parse_public_service(":8080")}); }

}  // namespace

TEST_CASE("public service specs") {
  auto a = parse_public_service("nginx:443");
  REQUIRE(a);
  CHECK(a->name == "nginx");
  CHECK(a->port == 443);
  auto b = parse_public_service("nginx");
  REQUIRE(b);
  CHECK_FALSE(b->port);
  auto c = parse_public_service(":443");
  REQUIRE(c);
  CHECK(c->name.empty());
  CHECK(c->port == 443);
  CHECK_FALSE(parse_public_service(""));
  CHECK_FALSE(parse_public_service("nginx:"));
  CHECK_FALSE(parse_public_service("nginx:70000"));
  CHECK_FALSE(parse_public_service(":0"));
}

TEST_CASE("findings are grouped by bad IP then entity with exact counts") {
  auto w = scenario(policy_8080_public());
  REQUIRE(w.ips.size() == 2);
  const auto& g = w.ips.at(ip("203.0.113.66"));
  REQUIRE(g.entities.size() == 2);
  CHECK(g.connections() == 5);
  CHECK(g.feeds.at("lab").category == "attacker");
  auto it = g.entities.begin();
  // map order: nginx < sshd by exe path
  const auto& [ng_e, ng] = *it++;
  const auto& [ss_e, ss] = *it;
  CHECK(ng_e.comm == "nginx");
  CHECK(ng_e.port == 8080);
  CHECK(ng.connections == 2);
  CHECK(ng.closed == 2);
  CHECK(ng.bytes_in == 1500);
  CHECK(ng.bytes_out == 51800);
  CHECK(ng.max_out == 51200);
  CHECK(ng.large_transfers == 1);
  CHECK(ng.first_seen_ns == kDay0 + 30 * kSec);
  CHECK(ng.last_seen_ns == kDay0 + 41 * kSec);
  CHECK(ss_e.comm == "sshd");
  CHECK(ss.connections == 3);
  CHECK(ss.bytes_in == 300);
  CHECK(ss.bytes_out == 600);
  CHECK(ss.large_transfers == 0);
  CHECK(ss.pids == std::vector<std::uint32_t>{100});
}

TEST_CASE("severity policy: public is informational, sshd high, large transfer raises one level") {
  auto w = scenario(policy_8080_public());
  const auto& g = w.ips.at(ip("203.0.113.66"));
  auto it = g.entities.begin();
  CHECK(it->second.severity == Severity::Low);  // info + one large transfer
  CHECK(it->second.reasons == std::vector<std::string>{
                                  "customer-facing service nginx:8080 (declared public as :8080); scanning is expected",
                                  "1 connection over 10240 bytes"});
  ++it;
  CHECK(it->second.severity == Severity::High);
  CHECK(g.severity == Severity::High);
  CHECK(g.reasons == std::vector<std::string>{"sshd on port 22 is exposed to a listed address"});
  const auto& out = w.ips.at(ip("198.51.100.7"));
  CHECK(out.severity == Severity::High);
  CHECK(out.entities.begin()->first.port == 443);
  CHECK(out.reasons == std::vector<std::string>{"curl connected out to a listed address (port 443)"});

  // without the declaration, 8080 is an exposed service and the large transfer makes it critical
  auto w2 = scenario(SeverityPolicy{});
  const auto& g2 = w2.ips.at(ip("203.0.113.66"));
  CHECK(g2.entities.begin()->second.severity == Severity::Critical);
  CHECK(g2.entities.begin()->second.reasons.front() == "exposed service nginx:8080 is not declared public");
  CHECK(g2.severity == Severity::Critical);
}

TEST_CASE("large transfers on several entities are summed in the address's reasons") {
  Aggregator agg("h", "");
  auto feeds = lab_feed();
  auto p1 = proc(10, "app1", "/usr/bin/app1");
  auto p2 = proc(11, "app2", "/usr/bin/app2");
  // two services, one over-threshold connection each
  agg.add(close_of(open_in(&p1, feeds, "203.0.113.66", 8001, 1, kDay0 + kSec), 20000, 0, kDay0 + 2 * kSec));
  agg.add(close_of(open_in(&p2, feeds, "203.0.113.66", 8002, 2, kDay0 + kSec), 20000, 0, kDay0 + 2 * kSec));
  SeverityPolicy{}.apply(agg.summary());
  const auto& g = agg.summary().ips.at(ip("203.0.113.66"));
  CHECK(g.severity == Severity::Critical);
  CHECK(g.reasons == std::vector<std::string>{"exposed service app1:8001 is not declared public",
                                              "exposed service app2:8002 is not declared public",
                                              "2 connections over 10240 bytes"});
}

TEST_CASE("a connection counts once: at open, or at close when only that was seen") {
  Aggregator agg("h", "");
  auto feeds = lab_feed();
  auto p = proc(1, "sshd", "/usr/sbin/sshd");
  auto a = open_in(&p, feeds, "203.0.113.5", 22, 1, kDay0);
  agg.add(a);
  agg.add(close_of(a, 10, 20, kDay0 + kSec));
  // close without open (opened before the agent started)
  agg.add(close_of(open_in(&p, feeds, "203.0.113.5", 22, 2, kDay0), 30, 40, kDay0 + 2 * kSec));
  // open only (still open)
  agg.add(open_in(&p, feeds, "203.0.113.5", 22, 3, kDay0 + 3 * kSec));
  const auto& s = agg.summary().ips.at(ip("203.0.113.5")).entities.begin()->second;
  CHECK(s.connections == 3);
  CHECK(s.closed == 2);
  CHECK(s.bytes_in == 40);
  CHECK(s.bytes_out == 60);
  // the open one closes in the next window: bytes there, not counted again
  auto done = agg.roll(kDay0 + 86400 * kSec, kDay0 + 2 * 86400 * kSec);
  CHECK(done.connections() == 3);
  agg.add(close_of(open_in(&p, feeds, "203.0.113.5", 22, 3, kDay0), 5000, 6000, kDay0 + 86401 * kSec));
  const auto& n = agg.summary().ips.at(ip("203.0.113.5")).entities.begin()->second;
  CHECK(n.connections == 0);
  CHECK(n.carried_over == 1);
  CHECK(n.bytes_in == 5000);
  CHECK(n.large_transfers == 1);
}

TEST_CASE("unknown owner gives an entity without process") {
  Aggregator agg("h", "");
  auto feeds = lab_feed();
  ConnEvent ev;
  ev.kind = EventKind::Open;
  ev.owner = Owner::Unknown;
  ev.remote = ip("203.0.113.9");
  ev.local_port = 22;
  ev.wall_ns = kDay0;
  auto p = proc(0, "", "");
  agg.add(Finding::from_event(ev, &p, feeds));
  const auto& [e, s] = *agg.summary().ips.at(ip("203.0.113.9")).entities.begin();
  CHECK(e.comm.empty());
  CHECK(e.user.empty());
  CHECK(s.connections == 1);
  CHECK(is_sshd(e));  // port 22 and nobody known: treated as sshd
}

TEST_CASE("ssh login activity per bad IP") {
  Aggregator agg("h", "");
  auto feeds = lab_feed();
  auto login = [&](LoginResult r, const char* user, const char* method, std::int64_t t) {
    LoginEvent ev;
    ev.result = r;
    ev.user = user;
    ev.method = method;
    ev.address = ip("203.0.113.66");
    ev.wall_ns = t;
    ev.port = 50000;
    return agg.add_login(ev, feeds, kDay0);
  };
  CHECK_FALSE(login(LoginResult::Failure, "root", "password", kDay0 + 1 * kSec));
  CHECK_FALSE(login(LoginResult::InvalidUser, "admin", "", kDay0 + 2 * kSec));
  CHECK_FALSE(login(LoginResult::Failure, "admin", "password", kDay0 + 3 * kSec));
  CHECK(login(LoginResult::Success, "deploy", "publickey", kDay0 + 4 * kSec));
  CHECK_FALSE(login(LoginResult::PreauthAbort, "", "", kDay0 + 5 * kSec));
  for (int i = 0; i < 25; ++i) login(LoginResult::InvalidUser, ("u" + std::to_string(i)).c_str(), "", kDay0 + 6 * kSec);
  const auto& l = agg.summary().ips.at(ip("203.0.113.66")).logins;
  CHECK(l.attempts == 30);
  CHECK(l.failures == 28);
  CHECK(l.invalid_users == 26);
  CHECK(l.successes == 1);
  CHECK(l.preauth_aborts == 1);
  CHECK(l.users.size() == LoginActivity::kMaxUsers);
  CHECK(l.users[0] == "root");
  CHECK(l.users[2] == "deploy");
  CHECK(l.users_other == 8);  // 3 + 25 names, 20 listed
  CHECK(l.methods == std::set<std::string>{"password", "publickey"});
  CHECK(l.first_ns == kDay0 + kSec);
  CHECK(l.last_ns == kDay0 + 6 * kSec);
  REQUIRE(l.accepted.size() == 1);
  CHECK(l.accepted[0].user == "deploy");
  SeverityPolicy{}.apply(agg.summary());
  const auto& g = agg.summary().ips.at(ip("203.0.113.66"));
  CHECK(g.severity == Severity::Critical);
  CHECK(g.reasons == std::vector<std::string>{"successful ssh login (1 of 30 attempts; first: user deploy via publickey)"});
}

TEST_CASE("a credential try logged on several sshd lines counts once") {
  // What the parser gives for 3 wrong passwords and 1 key login: each
  // "Failed password" (1 try) is followed by "Connection closed by
  // authenticating user" (0 tries: it restates the same one).
  Aggregator agg("h", "");
  auto feeds = lab_feed();
  auto login = [&](LoginResult r, const char* method, std::uint32_t attempts, std::int64_t t) {
    LoginEvent ev;
    ev.result = r;
    ev.user = "root";
    ev.method = method;
    ev.address = ip("203.0.113.66");
    ev.wall_ns = t;
    ev.attempts = attempts;
    agg.add_login(ev, feeds, kDay0);
  };
  for (int i = 0; i < 3; ++i) {
    login(LoginResult::Failure, "password", 1, kDay0 + (2 * i + 1) * kSec);
    login(LoginResult::Failure, "", 0, kDay0 + (2 * i + 2) * kSec);
  }
  login(LoginResult::Success, "publickey", 1, kDay0 + 10 * kSec);
  const auto& l = agg.summary().ips.at(ip("203.0.113.66")).logins;
  CHECK(l.events == 7);
  CHECK(l.attempts == 4);
  CHECK(l.failures == 3);
  CHECK(l.successes == 1);
  CHECK(l.first_ns == kDay0 + kSec);
  CHECK(l.last_ns == kDay0 + 10 * kSec);
  CHECK(l.users == std::vector<std::string>{"root"});
}

TEST_CASE("JSON document round-trips") {
  auto w = scenario(policy_8080_public());
  w.id = "node-a/window/2026-12-03T00:00:00Z";
  w.generated_ns = kDay0 + 86400 * kSec;
  w.ringbuf_drops = 3;
  auto doc = to_json(w);
  CHECK(doc["schema"] == "badip.alert/1");
  CHECK(doc["completeness"]["complete"] == false);
  CHECK(doc["totals"]["connections"] == 6);
  CHECK(doc["bad_ips"][1]["entities"][0]["bytes_out"]["mean"] == 25900);
  auto back = from_json(doc);
  REQUIRE(back);
  CHECK(to_json(*back) == doc);
}

TEST_CASE("bad JSON documents are reported, not thrown") {
  CHECK(from_json(nlohmann::json::parse("[1,2]")).error().message() == "alert document is not a JSON object");
  CHECK(from_json(nlohmann::json::parse(R"({"schema":"x"})")).error().message() ==
        "not a badip alert (schema is not badip.alert/1)");
  auto r = from_json(nlohmann::json::parse(R"({"schema":"badip.alert/1","bad_ips":[{"ip":"nope"}]})"));
  CHECK(r.error().message() == "bad_ips[].ip is not an IP address");
  r = from_json(nlohmann::json::parse(R"({"schema":"badip.alert/1","window":{"start":"soon"}})"));
  CHECK(r.error().message() == "field \"start\": bad time \"soon\"");
}

TEST_CASE("text rendering, exact lines") {
  auto w = scenario(policy_8080_public());
  std::string expected =
      "badip alert: 2026-12-03T00:00:00Z to 2026-12-04T00:00:00Z (UTC)\n"
      "host web-1, node node-a\n"
      "severity HIGH: 2 bad IPs, 6 connections\n"
      "completeness: complete (ring-buffer drops 0, lookups skipped 0)\n"
      "\n"
      "198.51.100.7 HIGH: 1 connection\n"
      "  why: curl connected out to a listed address (port 443)\n"
      "  feed: c2-list (botnet-c2, 198.51.100.7/32)\n"
      "  out port 443: curl (/usr/bin/curl), user alice, host web-1, node node-a [high]\n"
      "    1 connection, first 2026-12-03T00:00:50Z, last 2026-12-03T00:00:50Z\n"
      "    bytes in 0 (max 0, mean 0), out 0 (max 0, mean 0); 0 over 10240 bytes\n"
      "\n"
      "203.0.113.66 HIGH: 5 connections\n"
      "  why: sshd on port 22 is exposed to a listed address\n"
      "  feed: lab (attacker, confidence 90, 203.0.113.0/24, source=test)\n"
      "  in port 8080: nginx (/usr/sbin/nginx), user www-data, host web-1, node node-a [low]\n"
      "    2 connections, first 2026-12-03T00:00:30Z, last 2026-12-03T00:00:41Z\n"
      "    bytes in 1500 (max 1000, mean 750), out 51800 (max 51200, mean 25900); 1 over 10240 bytes\n"
      "  in port 22: sshd (/usr/sbin/sshd), user root, host web-1, node node-a [high]\n"
      "    3 connections, first 2026-12-03T00:00:10Z, last 2026-12-03T00:00:22Z\n"
      "    bytes in 300 (max 100, mean 100), out 600 (max 200, mean 200); 0 over 10240 bytes\n";
  CHECK(render_text(w) == expected);
  auto md = render_markdown(w);
  CHECK(md.find("| in | 8080 | nginx (/usr/sbin/nginx) | www-data | web-1 | - | 2 | 2026-12-03T00:00:30Z | "
                "2026-12-03T00:00:41Z | 1500/1000/750 | 51800/51200/25900 | 1 | low |\n") != std::string::npos);
  CHECK(md.rfind("# badip alert: 2026-12-03T00:00:00Z to 2026-12-04T00:00:00Z (UTC)\n", 0) == 0);
}

TEST_CASE("fleet merge keeps entities per host and adds up the rest") {
  auto a = scenario(policy_8080_public());
  auto b = scenario(SeverityPolicy{});
  b.host = "web-2";
  b.node = "node-b";
  b.ringbuf_drops = 2;
  // b's entities live on web-2
  for (auto& [ip_, g] : b.ips) {
    EntityMap moved;
    for (auto& [e, s] : g.entities) {
      Entity e2 = e;
      e2.host = "web-2";
      e2.node = "node-b";
      moved.emplace(e2, s);
    }
    g.entities = std::move(moved);
  }
  auto m = merge({a, b});
  CHECK(m.kind == "fleet");
  CHECK(m.nodes == std::vector<std::string>{"node-a", "node-b"});
  CHECK(m.ringbuf_drops == 2);
  CHECK(m.connections() == 12);
  const auto& g = m.ips.at(ip("203.0.113.66"));
  CHECK(g.entities.size() == 4);
  CHECK(g.severity == Severity::Critical);
  CHECK(m.severity() == Severity::Critical);
}
