#include <catch2/catch.hpp>

#include "intel/prefix.h"

using namespace badip::intel;

namespace {
std::string one(const std::string& t, bool zero = false) {
  auto r = parse_prefix(t, PrefixRules{zero});
  if (!r.error.empty()) return "error: " + r.error;
  std::string s;
  for (const auto& p : r.prefixes) s += (s.empty() ? "" : " ") + p.to_string();
  if (!r.warning.empty()) s += " (warning: " + r.warning + ")";
  return s;
}
}  // namespace

TEST_CASE("prefix: addresses and CIDRs", "[intel]") {
  CHECK(one("203.0.113.9") == "203.0.113.9");
  CHECK(one("203.0.113.0/24") == "203.0.113.0/24");
  CHECK(one("2001:db8::/32") == "2001:db8::/32");
  CHECK(one("2001:0db8:0000:0000:0000:0000:0000:0001") == "2001:db8::1");
  CHECK(one("203.0.113.9/32") == "203.0.113.9");
}

TEST_CASE("prefix: host bits set are normalised with a warning", "[intel]") {
  CHECK(one("192.0.2.13/24") == "192.0.2.0/24 (warning: host bits set, normalised to 192.0.2.0/24)");
  CHECK(one("2001:db8::1/32") == "2001:db8::/32 (warning: host bits set, normalised to 2001:db8::/32)");
}

TEST_CASE("prefix: /0 only when allowed", "[intel]") {
  CHECK(one("0.0.0.0/0") == "error: /0 not allowed for this feed");
  CHECK(one("::/0") == "error: /0 not allowed for this feed");
  CHECK(one("0.0.0.0/0", true) == "0.0.0.0/0");
  CHECK(one("::/0", true) == "::/0");
}

TEST_CASE("prefix: rejects ambiguous and odd spellings", "[intel]") {
  CHECK(one("010.1.1.1") == "error: octet with leading zero is ambiguous");
  CHECK(one("10.01.1.1") == "error: octet with leading zero is ambiguous");
  CHECK(one("fe80::1%eth0") == "error: IPv6 zone id not allowed in a feed");
  CHECK(one("256.1.1.1") == "error: not an IPv4 address");
  CHECK(one("1.2.3") == "error: not an IPv4 address");
  CHECK(one("1.2.3.4/33") == "error: prefix length out of range");
  CHECK(one("1.2.3.4/") == "error: bad prefix length");
  CHECK(one("hello") == "error: not an IPv4 address");
  CHECK(one("2001:db8::/129") == "error: prefix length out of range");
}

TEST_CASE("prefix: IPv4-mapped IPv6 becomes IPv4", "[intel]") {
  CHECK(one("::ffff:203.0.113.9") == "203.0.113.9");
  CHECK(one("::ffff:203.0.113.0/120") == "203.0.113.0/24");
  auto a = parse_address("::ffff:203.0.113.9");
  auto b = parse_address("203.0.113.9");
  REQUIRE(a);
  REQUIRE(b);
  CHECK(*a == *b);
  CHECK(a->is_v4());
}

TEST_CASE("prefix: ranges become their minimal CIDR cover", "[intel]") {
  CHECK(one("192.0.2.0-192.0.2.255") == "192.0.2.0/24");
  CHECK(one("192.0.2.0 - 192.0.2.255") == "192.0.2.0/24");
  CHECK(one("192.0.2.1-192.0.2.6") == "192.0.2.1 192.0.2.2/31 192.0.2.4/31 192.0.2.6");
  CHECK(one("203.0.113.9-203.0.113.9") == "203.0.113.9");
  CHECK(one("255.255.255.254-255.255.255.255") == "255.255.255.254/31");
  CHECK(one("128.0.0.0-255.255.255.255") == "128.0.0.0/1");
  CHECK(one("ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe-ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff") ==
        "ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe/127");
  CHECK(one("8000::-ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff") == "8000::/1");
  CHECK(one("2001:db8::1-2001:db8::4") == "2001:db8::1 2001:db8::2/127 2001:db8::4");
  CHECK(one("0.0.0.0-255.255.255.255") == "error: range covers the whole address space (/0 not allowed for this feed)");
  CHECK(one("0.0.0.0-255.255.255.255", true) == "0.0.0.0/0");
  CHECK(one("192.0.2.9-192.0.2.1") == "error: range end before start");
  CHECK(one("192.0.2.1-2001:db8::1") == "error: range mixes IPv4 and IPv6");
}
