// The Intel feed set: several feeds, allowlist, never-reported ranges,
// reload outcomes, file watching and a concurrent reload stress test.
#include <atomic>
#include <condition_variable>
#include <mutex>
#include <thread>

#include <catch2/catch.hpp>

#include "intel/intel.h"
#include "test_util.h"

using namespace badip::intel;
using badip::IpAddress;
using badip::intel::test::TempDir;

namespace {

std::vector<std::string> answer(const Intel& intel, const std::string& addr) {
  auto r = intel.reader();
  std::vector<std::string> v;
  for (const auto& e : r.lookup(*parse_address(addr))) v.push_back(e.feed->name + " " + e.prefix.to_string());
  std::sort(v.begin(), v.end());
  return v;
}
using V = std::vector<std::string>;

FeedSpec spec(const std::string& name, const std::string& path) {
  FeedSpec s;
  s.name = name;
  s.path = path;
  return s;
}

}  // namespace

TEST_CASE("intel: an address listed by several feeds reports all, in any load order", "[intel]") {
  TempDir d;
  auto a = d.file("a.txt", "203.0.113.0/24\n");
  auto b = d.file("b.txt", "203.0.113.9 ; SBL1\n203.0.113.0/24\n");
  for (bool swap : {false, true}) {
    IntelOptions o;
    o.feeds = {spec("alpha", a), spec("beta", b)};
    if (swap) std::swap(o.feeds[0], o.feeds[1]);
    auto intel = Intel::load(o);
    REQUIRE(intel.ok());
    CHECK(answer(**intel, "203.0.113.9") == V{"alpha 203.0.113.0/24", "beta 203.0.113.0/24", "beta 203.0.113.9"});
    CHECK(answer(**intel, "::ffff:203.0.113.9") == V{"alpha 203.0.113.0/24", "beta 203.0.113.0/24", "beta 203.0.113.9"});
    CHECK(answer(**intel, "203.0.113.10") == V{"alpha 203.0.113.0/24", "beta 203.0.113.0/24"});
    CHECK(answer(**intel, "198.51.100.1") == V{});
  }
}

TEST_CASE("intel: feed metadata and entry metadata reach the lookup", "[intel]") {
  TempDir d;
  auto p = d.file("drop.txt", "; Spamhaus DROP\n198.51.100.0/24 ; SBL42\n");
  IntelOptions o;
  o.feed_args = {"spamhaus=" + p};
  o.category_args = {"spamhaus=hijacked"};
  o.confidence_args = {"spamhaus=90"};
  auto intel = Intel::load(o);
  REQUIRE(intel.ok());
  auto r = (*intel)->reader();
  auto m = r.lookup(*parse_address("198.51.100.7"));
  REQUIRE(m.size() == 1);
  CHECK(m[0].feed->name == "spamhaus");
  CHECK(m[0].feed->category == "hijacked");
  CHECK(m[0].feed->confidence == 90);
  CHECK(m[0].feed->format == "spamhaus-drop");
  CHECK(m[0].feed->source == p);
  CHECK(m[0].prefix.to_string() == "198.51.100.0/24");
  CHECK(m[0].meta == Meta{{"sbl", "SBL42"}});
}

TEST_CASE("intel: allowlist wins; loopback, link-local, multicast never; private by option", "[intel]") {
  TempDir d;
  auto f = d.file("f.txt", "0.0.0.0/1\n128.0.0.0/1\n::/1\n8000::/1\n");
  auto allow = d.file("allow.txt", "203.0.113.0/25\n2001:db8::/48\n");
  IntelOptions o;
  o.feeds = {spec("everything", f)};
  o.allowlists = {allow};
  auto intel = Intel::load(o);
  REQUIRE(intel.ok());
  const auto& i = **intel;
  V hit{"everything 128.0.0.0/1"};
  CHECK(answer(i, "203.0.113.200") == hit);
  CHECK(answer(i, "203.0.113.5") == V{});       // allowlisted
  CHECK(answer(i, "2001:db8::5") == V{});       // allowlisted
  CHECK(answer(i, "2001:db9::5") == V{"everything ::/1"});
  CHECK(answer(i, "127.0.0.1") == V{});
  CHECK(answer(i, "169.254.1.1") == V{});
  CHECK(answer(i, "224.0.0.251") == V{});
  CHECK(answer(i, "::1") == V{});
  CHECK(answer(i, "fe80::1") == V{});
  CHECK(answer(i, "ff02::1") == V{});
  CHECK(answer(i, "10.1.2.3") == V{});
  CHECK(answer(i, "192.168.1.1") == V{});
  CHECK(answer(i, "172.16.0.1") == V{});
  CHECK(answer(i, "fd00::1") == V{});
  o.include_private = true;
  auto withp = Intel::load(o);
  REQUIRE(withp.ok());
  CHECK(answer(**withp, "10.1.2.3") == V{"everything 0.0.0.0/1"});
  CHECK(answer(**withp, "fd00::1") == V{"everything 8000::/1"});
  CHECK(answer(**withp, "127.0.0.1") == V{});
}

TEST_CASE("intel: FireHOL level1 does not make internal traffic malicious", "[intel]") {
  IntelOptions o;
  o.feeds = {spec("level1", test::feeds_dir() + "firehol/firehol_level1.netset")};
  auto intel = Intel::load(o);
  REQUIRE(intel.ok());
  CHECK(answer(**intel, "10.0.0.5") == V{});
  CHECK(answer(**intel, "192.168.1.10") == V{});
  CHECK(answer(**intel, "127.0.0.1") == V{});
  CHECK(answer(**intel, "224.0.0.1") == V{});
}

TEST_CASE("intel: reload keeps a feed that fails or shrinks too much, and counts", "[intel]") {
  TempDir d;
  std::string big;
  for (int i = 1; i <= 10; ++i) big += "192.0.2." + std::to_string(i) + "\n";
  auto p = d.file("f.txt", big);
  IntelOptions o;
  o.feeds = {spec("f", p)};
  std::int64_t now = 1000;
  std::vector<std::string> errors;
  auto intel = Intel::load(o, [&](LogLevel l, const std::string& m) {
    if (l == LogLevel::kError) errors.push_back(m);
  }, [&] { return now; });
  REQUIRE(intel.ok());
  auto& i = **intel;
  CHECK(i.stats().feeds.at(0).entries == 10);
  CHECK(i.stats().last_success_unix == 1000);

  now = 2000;
  d.replace("f.txt", "192.0.2.1\n192.0.2.2\n192.0.2.3\n192.0.2.4\n");  // 60 % smaller
  auto st = i.reload();
  CHECK(!st.ok());
  CHECK(errors.back() == "feed f: shrank from 10 to 4 entries (more than max-shrink); keeping previous contents");
  CHECK(answer(i, "192.0.2.9") == V{"f 192.0.2.9"});

  d.replace("f.txt", "<html>oops</html>\n");
  st = i.reload();
  CHECK(!st.ok());
  CHECK(answer(i, "192.0.2.9") == V{"f 192.0.2.9"});

  now = 3000;
  d.replace("f.txt", big + "192.0.2.11\n");
  CHECK(i.reload().ok());
  CHECK(answer(i, "192.0.2.11") == V{"f 192.0.2.11"});

  auto s = i.stats();
  CHECK(s.feeds.at(0).entries == 11);
  CHECK(s.feeds.at(0).reloads_ok == 2);  // initial load + last reload
  CHECK(s.feeds.at(0).reloads_failed == 1);
  CHECK(s.feeds.at(0).reloads_shrink_rejected == 1);
  CHECK(s.feeds.at(0).last_success_unix == 3000);
  CHECK(s.reloads_ok == 2);
  CHECK(s.reloads_failed == 2);
  CHECK(s.last_success_unix == 3000);
  CHECK(s.generation == 4);
}

TEST_CASE("intel: a missing feed at start is an error naming it", "[intel]") {
  IntelOptions o;
  o.feeds = {spec("gone", "/nonexistent/feed.txt")};
  auto intel = Intel::load(o);
  REQUIRE(!intel.ok());
  CHECK(intel.error().message() == "feed gone: /nonexistent/feed.txt: cannot open: No such file or directory");
}

TEST_CASE("intel: options: NAME=PATH, per-feed settings, bad values", "[intel]") {
  IntelOptions o;
  o.feed_args = {"/x/spamhaus_drop.txt", "mine=/y/list.txt"};
  o.format_args = {"mine=plain"};
  REQUIRE(o.finalize().ok());
  REQUIRE(o.feeds.size() == 2);
  CHECK(o.feeds[0].name == "spamhaus_drop");
  CHECK(o.feeds[1].name == "mine");
  CHECK(o.feeds[1].format == "plain");
  IntelOptions bad;
  bad.feed_args = {"a=/x"};
  bad.confidence_args = {"a=101"};
  CHECK(bad.finalize().error().message() == "--feed-confidence a=101: not 0..100");
  IntelOptions unknown;
  unknown.feed_args = {"a=/x"};
  unknown.category_args = {"b=spam"};
  CHECK(unknown.finalize().error().message() == "--feed-category b=spam: no feed named 'b'");
}

TEST_CASE("intel: CLI11 config file sets the same options", "[intel]") {
  TempDir d;
  auto cfg = d.file("badip.toml", "feed = [\"x=/tmp/x.txt\"]\nfeed-category = [\"x=scanner\"]\ninclude-private = true\nmax-shrink = 0.25\n");
  CLI::App app;
  IntelOptions o;
  add_intel_options(app, o);
  app.set_config("--config");
  const char* argv[] = {"t", "--config", cfg.c_str()};
  app.parse(3, argv);
  REQUIRE(o.finalize().ok());
  REQUIRE(o.feeds.size() == 1);
  CHECK(o.feeds[0].name == "x");
  CHECK(o.feeds[0].category == "scanner");
  CHECK(o.include_private);
  CHECK(o.max_shrink == 0.25);
}

TEST_CASE("intel: file change and request_reload trigger a reload", "[intel]") {
  TempDir d;
  auto p = d.file("f.txt", "192.0.2.1\n");
  IntelOptions o;
  o.feeds = {spec("f", p)};
  std::mutex mu;
  std::condition_variable cv;
  int reloads = 0;
  auto intel = Intel::load(o, [&](LogLevel, const std::string& m) {
    if (m == "reloading feeds") {
      std::lock_guard l(mu);
      ++reloads;
    }
    if (m.rfind("feed f: ", 0) == 0) cv.notify_all();
  });
  REQUIRE(intel.ok());
  auto& i = **intel;
  REQUIRE(i.start_watching().ok());
  auto wait_generation = [&](std::uint64_t g) {
    std::unique_lock l(mu);
    // Bounded wait for the watcher thread: not a timing assertion.
    return cv.wait_for(l, std::chrono::seconds(20), [&] { return i.stats().generation >= g; });
  };
  d.replace("f.txt", "192.0.2.2\n");
  REQUIRE(wait_generation(2));
  CHECK(answer(i, "192.0.2.2") == V{"f 192.0.2.2"});
  i.request_reload();
  REQUIRE(wait_generation(3));
  i.stop_watching();
  CHECK(reloads >= 2);
}

TEST_CASE("intel: readers see exactly one of two feed sets while 100 reloads run", "[intel][stress]") {
  TempDir d;
  // Set A lists 198.51.100.0/24 in feed a and hosts in b; set B moves them.
  const std::string a1 = "198.51.100.0/24\n203.0.113.1\n", b1 = "203.0.113.2\n2001:db8::/32\n";
  const std::string a2 = "203.0.113.0/24\n198.51.100.1\n", b2 = "198.51.100.2\n2001:db8:1::/48\n";
  auto pa = d.file("a.txt", a1), pb = d.file("b.txt", b1);
  IntelOptions o;
  o.feeds = {spec("a", pa), spec("b", pb)};
  o.max_shrink = 1.0;
  auto intel = Intel::load(o);
  REQUIRE(intel.ok());
  auto& i = **intel;
  const std::vector<IpAddress> probe = {*parse_address("198.51.100.1"), *parse_address("198.51.100.2"),
                                        *parse_address("203.0.113.1"), *parse_address("203.0.113.2"),
                                        *parse_address("2001:db8:1::1"), *parse_address("2001:db8:2::1")};
  auto signature = [&](const Intel::Reader& r) {
    std::string s;
    std::vector<Matches> out(probe.size());
    r.lookup_batch(probe.data(), probe.size(), out.data());
    for (std::size_t k = 0; k < probe.size(); ++k) {
      std::vector<std::string> v;
      for (const auto& e : out[k]) v.push_back(e.feed->name + "=" + e.prefix.to_string());
      std::sort(v.begin(), v.end());
      for (auto& x : v) s += x + ",";
      s += ";";
    }
    return s;
  };
  std::string sig_a, sig_b;
  sig_a = signature(i.reader());
  std::atomic<bool> stop{false};
  std::atomic<long> bad{0}, reads{0};
  std::vector<std::thread> readers;
  std::string sig_b_holder;
  std::atomic<const std::string*> sig_b_ptr{nullptr};
  for (int t = 0; t < 3; ++t)
    readers.emplace_back([&] {
      while (!stop.load(std::memory_order_relaxed)) {
        auto s = signature(i.reader());
        const std::string* b = sig_b_ptr.load(std::memory_order_acquire);
        if (s != sig_a && (b == nullptr || s != *b)) ++bad;
        ++reads;
      }
    });
  for (int k = 0; k < 100; ++k) {
    bool second = k % 2 == 0;
    d.replace("a.txt", second ? a2 : a1);
    d.replace("b.txt", second ? b2 : b1);
    if (k == 0) {
      // Learn set B's answer from a private instance before readers may see it.
      IntelOptions ob = o;
      auto other = Intel::load(ob);
      REQUIRE(other.ok());
      sig_b_holder = signature((*other)->reader());
      sig_b_ptr.store(&sig_b_holder, std::memory_order_release);
    }
    REQUIRE(i.reload().ok());
  }
  stop = true;
  for (auto& t : readers) t.join();
  CHECK(sig_a != sig_b_holder);
  CHECK(bad.load() == 0);
  CHECK(reads.load() > 0);
  CHECK(i.stats().generation == 101);
}
