#pragma once
// Time for the summary: an injectable clock and the window scheme.
//
// Windows are aligned to local midnight of an IANA zone (UTC by default) and
// cut into `period` slices from there; the last slice of a day ends at the
// next local midnight, so a 23 h or 25 h DST day is covered exactly and every
// instant falls in exactly one window. Periods of a day or more that are a
// whole number of days step from midnight to midnight. Unit tests use
// ManualClock and never sleep.
#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string_view>
#include <string>

#include "badip/result.h"

namespace date {
class time_zone;
}

namespace badip::summary {

class Clock {
 public:
  virtual ~Clock() = default;
  virtual std::int64_t now_ns() const = 0;  // Unix time, ns
};

class SystemClock final : public Clock {
 public:
  std::int64_t now_ns() const override;
};

class ManualClock final : public Clock {
 public:
  explicit ManualClock(std::int64_t start_ns = 0) : now_(start_ns) {}
  std::int64_t now_ns() const override { return now_.load(); }
  void set(std::int64_t ns) { now_.store(ns); }
  void advance(std::chrono::nanoseconds d) { now_ += d.count(); }

 private:
  std::atomic<std::int64_t> now_;
};

struct Window {
  std::int64_t start_ns = 0;
  std::int64_t end_ns = 0;  // exclusive
  bool contains(std::int64_t t) const { return t >= start_ns && t < end_ns; }
  bool operator==(const Window&) const = default;
};

class WindowScheme {
 public:
  // period > 0; timezone an IANA name ("UTC", "Europe/Berlin").
  static Result<WindowScheme> create(std::chrono::seconds period, const std::string& timezone);
  Window window_at(std::int64_t unix_ns) const;
  std::chrono::seconds period() const { return period_; }
  const std::string& timezone() const { return tz_name_; }

 private:
  std::chrono::seconds period_{86400};
  std::string tz_name_ = "UTC";
  const date::time_zone* tz_ = nullptr;  // owned by the tz database (process lifetime)
};

// "10s", "5m", "1h", "24h", "1d", or plain seconds.
std::optional<std::chrono::seconds> parse_duration(std::string_view text);

}  // namespace badip::summary
