#include "summary/window.h"

#include <date/tz.h>

#include <charconv>
#include <optional>

namespace badip::summary {
namespace {
constexpr std::int64_t kNsPerSec = 1'000'000'000;
constexpr std::int64_t kDay = 86400;

std::int64_t floor_div(std::int64_t a, std::int64_t b) {
  std::int64_t q = a / b;
  if ((a % b != 0) && ((a < 0) != (b < 0))) --q;
  return q;
}
}  // namespace

std::int64_t SystemClock::now_ns() const {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch()).count();
}

Result<WindowScheme> WindowScheme::create(std::chrono::seconds period, const std::string& timezone) {
  if (period.count() <= 0) return Error{0, "window period must be positive"};
  WindowScheme s;
  s.period_ = period;
  s.tz_name_ = timezone.empty() ? "UTC" : timezone;
  if (s.tz_name_ != "UTC") {
    try {
      s.tz_ = date::locate_zone(s.tz_name_);
    } catch (const std::exception&) {
      return Error{0, "unknown time zone \"" + s.tz_name_ + "\" (not in /usr/share/zoneinfo)"};
    }
  }
  return s;
}

Window WindowScheme::window_at(std::int64_t unix_ns) const {
  using namespace std::chrono;
  const std::int64_t p = period_.count();
  const std::int64_t t = floor_div(unix_ns, kNsPerSec);  // whole seconds
  if (p > kDay && p % kDay != 0) {  // not a whole number of days: plain epoch alignment
    std::int64_t s = floor_div(t, p) * p;
    return {s * kNsPerSec, (s + p) * kNsPerSec};
  }
  // The local calendar day of t (days since 1970-01-01) and local midnight as Unix time.
  std::int64_t day = 0;
  auto midnight = [this](std::int64_t d) -> std::int64_t {
    if (tz_ == nullptr) return d * kDay;
    date::local_seconds l{date::days{d}};
    // a midnight inside a DST gap maps to the transition (choose::earliest)
    return tz_->to_sys(l, date::choose::earliest).time_since_epoch().count();
  };
  if (tz_ == nullptr) {
    day = floor_div(t, kDay);
  } else {
    auto info = tz_->get_info(sys_seconds{seconds{t}});
    day = floor_div(t + info.offset.count(), kDay);
  }
  if (p % kDay == 0) {
    std::int64_t n = p / kDay;
    std::int64_t first = floor_div(day, n) * n;
    return {midnight(first) * kNsPerSec, midnight(first + n) * kNsPerSec};
  }
  std::int64_t day_start = midnight(day);
  std::int64_t next_day = midnight(day + 1);
  std::int64_t k = floor_div(t - day_start, p);
  std::int64_t s = day_start + k * p;
  std::int64_t e = std::min(s + p, next_day);
  return {s * kNsPerSec, e * kNsPerSec};
}

std::optional<std::chrono::seconds> parse_duration(std::string_view text) {
  if (text.empty()) return std::nullopt;
  std::int64_t mult = 1;
  char unit = text.back();
  if (unit < '0' || unit > '9') {
    switch (unit) {
      case 's': mult = 1; break;
      case 'm': mult = 60; break;
      case 'h': mult = 3600; break;
      case 'd': mult = 86400; break;
      default: return std::nullopt;
    }
    text.remove_suffix(1);
  }
  std::int64_t v = 0;
  auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc{} || p != text.data() + text.size() || v <= 0 || v > 366LL * 86400) return std::nullopt;
  return std::chrono::seconds{v * mult};
}

}  // namespace badip::summary
