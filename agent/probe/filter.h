#pragma once
// Which events `badip tail` (or any consumer) wants to see.
#include <cstdint>
#include <optional>
#include <string_view>

#include "badip/ip_address.h"
#include "badip/result.h"
#include "probe/conn_event.h"

namespace badip {

// An address prefix such as 203.0.113.0/24 or 2001:db8::/32. IPv4 prefixes
// are held on the v4-mapped address, so /24 becomes /120 internally.
class Cidr {
 public:
  // "a.b.c.d/n", "v6/n", or a bare address (a host prefix). Host bits set
  // below the prefix are an error, so a typo is not silently widened.
  static Result<Cidr> parse(std::string_view text);
  bool contains(const IpAddress& a) const;

 private:
  IpAddress base_;
  unsigned bits_ = 128;  // on the 16-byte form
};

struct EventFilter {
  std::optional<Direction> direction;
  std::optional<std::uint16_t> port;  // local or remote port
  std::optional<Cidr> remote;

  bool matches(const ConnEvent& e) const {
    if (direction && e.direction != *direction) return false;
    if (port && e.local_port != *port && e.remote_port != *port) return false;
    if (remote && !remote->contains(e.remote)) return false;
    return true;
  }
};

}  // namespace badip
