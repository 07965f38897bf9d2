#pragma once
// The window summary: what one alert (or the open window) says.
//
// WindowSummary is at once the aggregate that findings are folded into, the
// state persisted in the store, and the alert document (to_json/from_json;
// the JSON schema is docs/alert-schema.md). Renderers (render.h) and the fleet
// merge (merge()) work on it.
//
//   WindowSummary
//    └─ ips: bad IP -> IpSummary
//        ├─ feeds: feed name -> FeedInfo (category, confidence, prefix, metadata)
//        ├─ entities: Entity (host, node, container, exe, comm, user, port, direction)
//        │            -> EntityStats (connections, first/last, bytes, large, severity)
//        └─ logins: LoginActivity (sshd attempts/failures/successes/users/methods)
#include <compare>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "badip/ip_address.h"
#include "badip/result.h"
#include "probe/conn_event.h"

namespace badip::summary {

enum class Severity : std::uint8_t { Info = 0, Low = 1, Medium = 2, High = 3, Critical = 4 };
std::string_view to_string(Severity s);  // "info" ... "critical"
std::optional<Severity> severity_from_string(std::string_view s);
inline Severity raise(Severity s) { return s == Severity::Critical ? s : Severity(std::uint8_t(s) + 1); }

// One feed listing the address, as the intel lookup reports it.
struct FeedHit {
  std::string feed;      // feed name
  std::string category;  // e.g. "attacker", "botnet-c2"
  int confidence = -1;   // 0..100, -1 when the feed gives none
  std::string prefix;    // the listed prefix that covers the address, "203.0.113.0/24"
  std::vector<std::pair<std::string, std::string>> metadata;  // entry metadata, in feed order
};

struct FeedInfo {
  std::string category;
  int confidence = -1;
  std::string prefix;
  std::vector<std::pair<std::string, std::string>> metadata;
};

// Who was touched. `port` is the service port: the local listening port for
// inbound connections, the remote port for outbound ones (the local port of
// an outbound connection is ephemeral and would split one process into many).
struct Entity {
  std::string host;
  std::string node;
  std::string container_id;
  std::string exe;
  std::string comm;
  std::string user;
  std::uint16_t port = 0;
  Direction direction = Direction::In;
  auto operator<=>(const Entity&) const = default;
};

// Ordering for the entity map that also accepts EntityRef (views), so the
// aggregate finds an existing entity without building strings.
struct EntityRef {
  std::string_view host, node, container_id, exe, comm, user;
  std::uint16_t port = 0;
  Direction direction = Direction::In;
};
struct EntityLess {
  using is_transparent = void;
  template <typename A, typename B>
  bool operator()(const A& a, const B& b) const {
    return key(a) < key(b);
  }
  template <typename E>
  static auto key(const E& e) {
    return std::tuple<std::string_view, std::string_view, std::string_view, std::string_view, std::string_view,
                      std::string_view, std::uint16_t, std::uint8_t>(e.host, e.node, e.container_id, e.exe, e.comm,
                                                                      e.user, e.port, std::uint8_t(e.direction));
  }
};

struct EntityStats {
  std::uint64_t connections = 0;   // counted once per connection, at open (or at close if only that was seen)
  std::uint64_t closed = 0;        // closes seen: the denominator of the means
  std::uint64_t carried_over = 0;  // closes of connections counted in an earlier window
  std::int64_t first_seen_ns = 0;
  std::int64_t last_seen_ns = 0;
  std::uint64_t bytes_in = 0;  // received from the bad IP
  std::uint64_t bytes_out = 0; // sent to the bad IP
  std::uint64_t max_in = 0;
  std::uint64_t max_out = 0;
  std::uint64_t large_transfers = 0;  // connections whose in+out exceeded the threshold
  std::vector<std::uint32_t> pids;    // up to kMaxPids distinct pids
  std::string cmdline;                // of the first process seen
  Severity severity = Severity::Info; // set by SeverityPolicy::apply
  std::vector<std::string> reasons;
  static constexpr std::size_t kMaxPids = 8;
};

struct SuccessfulLogin {
  std::int64_t time_ns = 0;
  std::string user;
  std::string method;
  std::optional<std::uint16_t> port;
  bool operator==(const SuccessfulLogin&) const = default;
};

// sshd login activity of one bad IP ("User Login Activity", "Bad Login Summary").
struct LoginActivity {
  std::uint64_t events = 0;     // sshd lines about this address (tries, probes, disconnects)
  std::uint64_t attempts = 0;   // credential tries (LoginEvent::attempts summed)
  std::uint64_t failures = 0;   // Failure + InvalidUser
  std::uint64_t successes = 0;
  std::uint64_t invalid_users = 0;  // tries naming a user that does not exist
  std::uint64_t preauth_aborts = 0;
  std::vector<std::string> users;   // distinct names tried, first kMaxUsers
  std::uint64_t users_other = 0;    // distinct names beyond the list
  std::set<std::string> methods;
  std::int64_t first_ns = 0;
  std::int64_t last_ns = 0;
  std::vector<SuccessfulLogin> accepted;  // first kMaxAccepted successes
  static constexpr std::size_t kMaxUsers = 20;
  static constexpr std::size_t kMaxAccepted = 20;
  bool empty() const { return events == 0; }
};

using EntityMap = std::map<Entity, EntityStats, EntityLess>;

struct IpSummary {
  std::map<std::string, FeedInfo> feeds;
  EntityMap entities;
  LoginActivity logins;
  Severity severity = Severity::Info;
  std::vector<std::string> reasons;
  std::uint64_t connections() const;
};

struct WindowSummary {
  std::string kind = "window";  // "window" (end of window), "immediate", "open" (not closed yet), "fleet"
  std::string id;               // unique per alert: "<node or host>/<kind>/<start>[/...]"
  std::int64_t window_start_ns = 0;
  std::int64_t window_end_ns = 0;
  std::int64_t generated_ns = 0;
  std::string timezone = "UTC";
  std::string host;
  std::string node;
  std::vector<std::string> nodes;  // fleet report: the merged nodes
  std::uint64_t large_transfer_bytes = 10240;
  std::uint64_t ringbuf_drops = 0;     // completeness: records the kernel could not deliver
  std::uint64_t lookups_skipped = 0;   // completeness: events not looked up
  std::map<IpAddress, IpSummary> ips;

  Severity severity() const;
  std::uint64_t connections() const;
  bool empty() const { return ips.empty(); }
};

nlohmann::json to_json(const WindowSummary& w);
// Bad documents give Error{0, "reason"} naming the field.
Result<WindowSummary> from_json(const nlohmann::json& j);

// Fleet report: several nodes' summaries of the same window combined. Entities
// stay apart per host; feeds, login activity and completeness add up.
WindowSummary merge(const std::vector<WindowSummary>& parts);

// Time as RFC 3339 UTC ("2026-12-03T10:15:30.25Z"; fraction only when non-zero).
std::string format_time(std::int64_t unix_ns);
std::optional<std::int64_t> parse_time(std::string_view text);  // the same, or integer Unix seconds

}  // namespace badip::summary
