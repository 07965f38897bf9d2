#include <catch2/catch.hpp>

#include "helpers.h"
#include "summary/window.h"

using namespace badip::summary;
using namespace badip::summary::test;
using namespace std::chrono_literals;

TEST_CASE("time format and parse round-trip") {
  CHECK(format_time(kDay0) == "2026-12-03T00:00:00Z");
  CHECK(format_time(kDay0 + 250'000'000) == "2026-12-03T00:00:00.25Z");
  CHECK(format_time(kDay0 - 1) == "2026-12-02T23:59:59.999999999Z");
  CHECK(parse_time("2026-12-03T00:00:00Z") == kDay0);
  CHECK(parse_time("2026-12-03T00:00:00.25Z") == kDay0 + 250'000'000);
  CHECK(parse_time("2026-12-03T01:00:00+01:00") == kDay0);
  CHECK(parse_time("2026-12-03") == kDay0);
  CHECK(parse_time("1796256000") == kDay0);
  CHECK_FALSE(parse_time("2026-13-03T00:00:00Z"));
  CHECK_FALSE(parse_time("2026-12-03T00:00:00"));
  CHECK_FALSE(parse_time("yesterday"));
}

TEST_CASE("durations") {
  CHECK(parse_duration("10s") == 10s);
  CHECK(parse_duration("1h") == 3600s);
  CHECK(parse_duration("24h") == 86400s);
  CHECK(parse_duration("2d") == 172800s);
  CHECK(parse_duration("90") == 90s);
  CHECK_FALSE(parse_duration("0s"));
  CHECK_FALSE(parse_duration("1w"));
  CHECK_FALSE(parse_duration(""));
}

TEST_CASE("default windows: 24 h aligned to midnight UTC") {
  auto s = WindowScheme::create(24h, "UTC");
  REQUIRE(s);
  CHECK(s->window_at(kDay0) == Window{kDay0, kDay0 + 86400 * kSec});
  CHECK(s->window_at(kDay0 + 86400 * kSec - 1) == Window{kDay0, kDay0 + 86400 * kSec});
  CHECK(s->window_at(kDay0 - 1) == Window{kDay0 - 86400 * kSec, kDay0});
}

TEST_CASE("short windows: 10 s") {
  auto s = WindowScheme::create(10s, "UTC");
  REQUIRE(s);
  CHECK(s->window_at(kDay0 + 15 * kSec) == Window{kDay0 + 10 * kSec, kDay0 + 20 * kSec});
  // 86400 is a multiple of 10: the last slice of the day is a full one
  CHECK(s->window_at(kDay0 - 1) == Window{kDay0 - 10 * kSec, kDay0});
}

TEST_CASE("a period that does not divide the day ends at midnight") {
  auto s = WindowScheme::create(7h, "UTC");
  REQUIRE(s);
  CHECK(s->window_at(kDay0 + 22 * 3600 * kSec) == Window{kDay0 + 21 * 3600 * kSec, kDay0 + 24 * 3600 * kSec});
}

TEST_CASE("unknown zone is an error") {
  auto s = WindowScheme::create(24h, "Mars/Olympus_Mons");
  REQUIRE_FALSE(s);
  CHECK(s.error().message() == "unknown time zone \"Mars/Olympus_Mons\" (not in /usr/share/zoneinfo)");
}

TEST_CASE("local days in Europe/Berlin, DST days are 23 and 25 hours") {
  auto s = WindowScheme::create(24h, "Europe/Berlin");
  REQUIRE(s);
  // winter: local midnight is 23:00Z the day before
  auto w = s->window_at(*parse_time("2026-12-03T12:00:00Z"));
  CHECK(format_time(w.start_ns) == "2026-12-02T23:00:00Z");
  CHECK(format_time(w.end_ns) == "2026-12-03T23:00:00Z");
  // 2026-03-29: clocks go forward, the day has 23 hours
  w = s->window_at(*parse_time("2026-03-29T12:00:00Z"));
  CHECK(format_time(w.start_ns) == "2026-03-28T23:00:00Z");
  CHECK(format_time(w.end_ns) == "2026-03-29T22:00:00Z");
  CHECK((w.end_ns - w.start_ns) / kSec == 23 * 3600);
  // 2026-10-25: clocks go back, 25 hours
  w = s->window_at(*parse_time("2026-10-25T12:00:00Z"));
  CHECK(format_time(w.start_ns) == "2026-10-24T22:00:00Z");
  CHECK(format_time(w.end_ns) == "2026-10-25T23:00:00Z");
  CHECK((w.end_ns - w.start_ns) / kSec == 25 * 3600);
}

TEST_CASE("every instant is in exactly one window, across DST changes") {
  for (const char* zone : {"Europe/Berlin", "America/New_York", "Australia/Lord_Howe", "UTC"}) {
    for (auto period : {3600s, 86400s, 5400s}) {
      auto s = WindowScheme::create(period, zone);
      REQUIRE(s);
      // walk through March and October/November 2026 in 10-minute steps
      for (std::int64_t start : {*parse_time("2026-03-07T00:00:00Z"), *parse_time("2026-10-20T00:00:00Z")}) {
        Window prev = s->window_at(start);
        for (std::int64_t t = start; t < start + 20LL * 86400 * kSec; t += 600 * kSec) {
          Window w = s->window_at(t);
          INFO(zone << " " << period.count() << " " << format_time(t));
          REQUIRE(w.contains(t));
          REQUIRE(w.end_ns > w.start_ns);
          if (!(w == prev)) REQUIRE(w.start_ns == prev.end_ns);  // windows abut: no gap, no overlap
          prev = w;
        }
      }
    }
  }
}
