#pragma once
// Prefixes as feeds spell them, parsed strictly. IpAddress::parse is lenient
// (inet_pton accepts what it accepts); feeds need stricter rules because a
// wrongly read octet silently blocks or unblocks someone else's network.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "badip/ip_address.h"

namespace badip::intel {

using U128 = unsigned __int128;

// An IPv4 prefix has len 0..32, an IPv6 prefix 0..128. IPv4 (also when it was
// written as ::ffff:a.b.c.d) is held v4-mapped in `addr`, like everywhere else.
struct Prefix {
  IpAddress addr;
  std::uint8_t len = 0;

  bool is_v4() const { return addr.is_v4(); }
  std::uint8_t max_len() const { return is_v4() ? 32 : 128; }
  bool is_host() const { return len == max_len(); }
  // First and last address as 128-bit integers in the v4-mapped space, so
  // IPv4 and IPv6 can share one ordering.
  U128 first() const;
  U128 last() const;
  bool contains(const IpAddress& a) const;
  std::string to_string() const;  // "203.0.113.0/24", hosts without "/32"
  auto operator<=>(const Prefix&) const = default;
};

U128 to_u128(const IpAddress& a);
IpAddress from_u128(U128 v);

// What parse_prefix found; `error` empty means ok. A range may yield several
// prefixes (its minimal CIDR cover).
struct PrefixParse {
  std::vector<Prefix> prefixes;
  std::string error;    // reason the token was rejected
  std::string warning;  // accepted but worth saying (host bits set)
};

struct PrefixRules {
  bool allow_zero_prefix = false;  // "/0" lists everything: only on request
};

// One token: "a.b.c.d", "a.b.c.d/n", IPv6 with or without "/n", or a range
// "a-b" (spaces around '-' allowed). Rejects leading-zero octets ("010.1.1.1"
// is octal to some tools and decimal to others), zone ids ("fe80::1%eth0"),
// /0 unless allowed, mixed-family ranges. Host bits are cleared with a warning.
PrefixParse parse_prefix(std::string_view token, const PrefixRules& rules = {});

// Strict single address (no prefix, no range); nullopt when not one.
std::optional<IpAddress> parse_address(std::string_view token, std::string* why = nullptr);

// Minimal CIDR cover of [first, last] within one family.
std::vector<Prefix> range_to_prefixes(const IpAddress& first, const IpAddress& last);

}  // namespace badip::intel
