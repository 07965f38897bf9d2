#include <catch2/catch.hpp>

#include "helpers.h"
#include "summary/summary.h"

using namespace badip;
using namespace badip::summary;
using namespace badip::summary::test;
using namespace std::chrono_literals;

namespace {

class CaptureSink : public AlertSink {
 public:
  Status emit(const WindowSummary& alert, const nlohmann::json& doc) override {
    alerts.push_back(alert);
    docs.push_back(doc);
    if (fail) return Error{0, "sink down"};
    return {};
  }
  std::vector<WindowSummary> alerts;
  std::vector<nlohmann::json> docs;
  bool fail = false;
};

SummaryConfig config() {
  SummaryConfig c;
  c.period = 10s;
  c.host = "web-1";
  c.node = "node-a";
  c.public_services = {*parse_public_service(":8080")};
  c.log = [](const std::string&) {};
  return c;
}

struct Agent {
  std::unique_ptr<StateStore> store;
  std::shared_ptr<CaptureSink> sink = std::make_shared<CaptureSink>();
  std::unique_ptr<Summary> sum;
  Agent(const TempDir& dir, const Clock& clock) {
    auto s = StateStore::open(dir.str());
    REQUIRE(s);
    store = std::move(*s);
    auto m = Summary::open(config(), *store, clock, {sink});
    REQUIRE(m);
    sum = std::move(*m);
  }
};

const auto kFeeds = lab_feed();
const auto kSshd = proc(100, "sshd", "/usr/sbin/sshd");

void connect(Summary& s, std::uint64_t sock, std::int64_t t) {
  s.on_finding(open_in(&kSshd, kFeeds, "203.0.113.66", 22, sock, t));
}

std::uint64_t open_connections(const Summary& s) { return s.snapshot().connections(); }

}  // namespace

TEST_CASE("store: open, add, flush, reopen resumes the counts") {
  TempDir dir;
  ManualClock clock(kDay0 + 1 * kSec);
  {
    Agent a(dir, clock);
    CHECK(a.sum->current_window() == Window{kDay0, kDay0 + 10 * kSec});
    for (int i = 0; i < 3; ++i) connect(*a.sum, i, kDay0 + 1 * kSec);
    a.sum->add_ringbuf_drops(4);
    REQUIRE(a.sum->flush());
  }
  Agent b(dir, clock);
  CHECK(open_connections(*b.sum) == 3);
  CHECK(b.sum->snapshot().ringbuf_drops == 4);
  CHECK(b.sink->alerts.empty());
}

TEST_CASE("store: a crash loses only what came after the last flush") {
  TempDir dir;
  ManualClock clock(kDay0 + 1 * kSec);
  {
    Agent a(dir, clock);
    connect(*a.sum, 1, kDay0 + 1 * kSec);
    connect(*a.sum, 2, kDay0 + 1 * kSec);
    clock.set(kDay0 + 6 * kSec);
    REQUIRE(a.sum->tick());  // 5 s since start: flushes
    connect(*a.sum, 3, kDay0 + 6 * kSec);
    // "kill -9": no flush, the Summary is just dropped
  }
  Agent b(dir, clock);
  CHECK(open_connections(*b.sum) == 2);
  connect(*b.sum, 4, kDay0 + 7 * kSec);
  clock.set(kDay0 + 10 * kSec);
  REQUIRE(b.sum->tick());
  REQUIRE(b.sink->alerts.size() == 1);
  CHECK(b.sink->alerts[0].connections() == 3);
  CHECK(b.sink->alerts[0].kind == "window");
  CHECK(b.sink->alerts[0].id == "node-a/window/2026-12-03T00:00:00Z");
}

TEST_CASE("one alert per window with findings, none for an empty window") {
  TempDir dir;
  ManualClock clock(kDay0);
  Agent a(dir, clock);
  connect(*a.sum, 1, kDay0 + 2 * kSec);
  connect(*a.sum, 2, kDay0 + 3 * kSec);
  clock.set(kDay0 + 10 * kSec);
  REQUIRE(a.sum->tick());
  REQUIRE(a.sum->tick());
  CHECK(a.sink->alerts.size() == 1);
  clock.set(kDay0 + 25 * kSec);  // an empty window passed
  REQUIRE(a.sum->tick());
  CHECK(a.sink->alerts.size() == 1);
  CHECK(a.sum->current_window() == Window{kDay0 + 20 * kSec, kDay0 + 30 * kSec});
  // a finding stamped after the window end closes it first
  connect(*a.sum, 3, kDay0 + 25 * kSec);
  connect(*a.sum, 4, kDay0 + 31 * kSec);
  REQUIRE(a.sink->alerts.size() == 2);
  CHECK(a.sink->alerts[1].window_start_ns == kDay0 + 20 * kSec);
  CHECK(a.sink->alerts[1].connections() == 1);
  CHECK(open_connections(*a.sum) == 1);
  auto all = a.store->alerts();
  REQUIRE(all);
  CHECK(all->size() == 2);
  CHECK((*all)[0].delivered);
}

TEST_CASE("a window that closed while the agent was down is emitted once at start") {
  TempDir dir;
  ManualClock clock(kDay0 + 1 * kSec);
  {
    Agent a(dir, clock);
    connect(*a.sum, 1, kDay0 + 1 * kSec);
    REQUIRE(a.sum->flush());
  }
  clock.set(kDay0 + 3600 * kSec);  // down for an hour
  {
    Agent b(dir, clock);
    REQUIRE(b.sink->alerts.size() == 1);
    CHECK(b.sink->alerts[0].window_start_ns == kDay0);
    CHECK(b.sink->alerts[0].connections() == 1);
    CHECK(b.sum->current_window() == Window{kDay0 + 3600 * kSec, kDay0 + 3610 * kSec});
  }
  Agent c(dir, clock);  // and not again
  CHECK(c.sink->alerts.empty());
  auto all = c.store->alerts();
  REQUIRE(all);
  CHECK(all->size() == 1);
}

TEST_CASE("an alert committed but not delivered is delivered at the next start") {
  TempDir dir;
  ManualClock clock(kDay0 + 1 * kSec);
  {
    Agent a(dir, clock);
    a.sink->fail = true;
    connect(*a.sum, 1, kDay0 + 1 * kSec);
    clock.set(kDay0 + 11 * kSec);
    REQUIRE(a.sum->tick());
    CHECK(a.sink->alerts.size() == 1);
    CHECK(a.sum->stats().errors == 1);
  }
  Agent b(dir, clock);
  REQUIRE(b.sink->alerts.size() == 1);
  CHECK(b.sink->alerts[0].id == "node-a/window/2026-12-03T00:00:00Z");
  CHECK(b.sum->stats().redelivered == 1);
  auto pending = b.store->alerts(true);
  REQUIRE(pending);
  CHECK(pending->empty());
}

TEST_CASE("a successful ssh login from a bad IP raises an immediate alert") {
  TempDir dir;
  ManualClock clock(kDay0 + 1 * kSec);
  Agent a(dir, clock);
  connect(*a.sum, 1, kDay0 + 1 * kSec);
  LoginEvent ev;
  ev.address = ip("203.0.113.66");
  ev.user = "root";
  ev.method = "password";
  ev.wall_ns = kDay0 + 2 * kSec;
  ev.result = LoginResult::Failure;
  for (int i = 0; i < 3; ++i) a.sum->on_login(ev, kFeeds);
  CHECK(a.sink->alerts.empty());
  ev.result = LoginResult::Success;
  ev.user = "deploy";
  ev.method = "publickey";
  ev.wall_ns = kDay0 + 3 * kSec;
  a.sum->on_login(ev, kFeeds);
  REQUIRE(a.sink->alerts.size() == 1);
  const auto& im = a.sink->alerts[0];
  CHECK(im.kind == "immediate");
  CHECK(im.id == "node-a/immediate/203.0.113.66/2026-12-03T00:00:03Z/deploy");
  CHECK(a.sink->docs[0]["kind"] == "immediate");
  const auto& g = im.ips.at(ip("203.0.113.66"));
  CHECK(g.severity == Severity::Critical);
  CHECK(g.logins.attempts == 4);
  CHECK(g.entities.begin()->second.severity == Severity::Critical);
  // the same log line seen again (re-read after restart) does not alert twice
  a.sum->on_login(ev, kFeeds);
  CHECK(a.sink->alerts.size() == 1);
  // the window alert follows at the end, also critical, with 5 attempts
  clock.set(kDay0 + 10 * kSec);
  REQUIRE(a.sum->tick());
  REQUIRE(a.sink->alerts.size() == 2);
  const auto& wl = a.sink->alerts[1].ips.at(ip("203.0.113.66")).logins;
  CHECK(wl.attempts == 5);
  CHECK(wl.failures == 3);
  CHECK(wl.successes == 2);
  CHECK(a.sink->alerts[1].severity() == Severity::Critical);
}

TEST_CASE("key/value positions for other parts") {
  TempDir dir;
  {
    auto s = StateStore::open(dir.str());
    REQUIRE(s);
    auto none = (*s)->get("sshd.position");
    REQUIRE(none);
    CHECK_FALSE(*none);
    REQUIRE((*s)->put("sshd.position", "inode=12 offset=3456"));
    REQUIRE((*s)->put("sshd.position", "inode=12 offset=4000"));
  }
  auto s = StateStore::open(dir.str(), true);
  REQUIRE(s);
  auto v = (*s)->get("sshd.position");
  REQUIRE(v);
  CHECK(**v == "inode=12 offset=4000");
}

TEST_CASE("a missing store is a clear error when it must exist") {
  TempDir dir;
  auto s = StateStore::open(dir.str() + "/nope", true);
  REQUIRE_FALSE(s);
  CHECK(s.error().message() == "state store " + dir.str() + "/nope/state.db: No such file or directory");
}
