#include <catch2/catch.hpp>

#include "badip/ip_address.h"

using badip::IpAddress;

TEST_CASE("IPv4 and its mapped IPv6 form are one value", "[ip]") {
  auto a = IpAddress::parse("203.0.113.9");
  auto b = IpAddress::parse("::ffff:203.0.113.9");
  REQUIRE(a);
  REQUIRE(b);
  CHECK(*a == *b);
  CHECK(a->is_v4());
  CHECK(a->to_string() == "203.0.113.9");
  CHECK(b->to_string() == "203.0.113.9");
  CHECK(a->v4_host_order() == 0xCB007109u);
  CHECK(IpAddress::v4(0xCB007109u) == *a);
}

TEST_CASE("IPv6 formats canonically", "[ip]") {
  auto a = IpAddress::parse("2001:0db8:0000:0000:0000:0000:0000:0001");
  REQUIRE(a);
  CHECK_FALSE(a->is_v4());
  CHECK(a->to_string() == "2001:db8::1");
}

TEST_CASE("garbage is not an address", "[ip]") {
  CHECK_FALSE(IpAddress::parse(""));
  CHECK_FALSE(IpAddress::parse("203.0.113"));
  CHECK_FALSE(IpAddress::parse("203.0.113.256"));
  CHECK_FALSE(IpAddress::parse("2001:db8::1%eth0"));
  CHECK_FALSE(IpAddress::parse("not an address"));
}
