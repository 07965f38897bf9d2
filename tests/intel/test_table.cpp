// PrefixTable against a linear-scan reference: random prefixes and
// addresses, plus the edge cases /0, /32, /128 and nested prefixes inserted
// in either order.
#include <algorithm>
#include <random>

#include <catch2/catch.hpp>

#include "intel/table.h"

using namespace badip::intel;
using badip::IpAddress;

namespace {

std::vector<std::uint32_t> reference(const std::vector<PrefixTable::Item>& items, const IpAddress& a) {
  std::vector<std::uint32_t> v;
  for (const auto& it : items) {
    if (!it.prefix.contains(a)) continue;
    if (it.allow) return {};
    v.push_back(it.value);
  }
  std::sort(v.begin(), v.end());
  v.erase(std::unique(v.begin(), v.end()), v.end());
  return v;
}

std::vector<std::uint32_t> got(const PrefixTable& t, const IpAddress& a) {
  auto s = t.lookup(a);
  return {s.begin(), s.end()};
}

Prefix pfx(const std::string& s) {
  auto r = parse_prefix(s, PrefixRules{true});
  REQUIRE(r.error.empty());
  return r.prefixes.at(0);
}

IpAddress ip(const std::string& s) { return *parse_address(s); }

Prefix random_prefix(std::mt19937_64& rng, bool v4) {
  if (v4) {
    // A /12 region so prefixes nest and overlap often.
    std::uint32_t a = 0xC6000000u | std::uint32_t(rng() & 0x000fffffu);
    unsigned len = 12 + unsigned(rng() % 21);
    Prefix p{IpAddress::v4(len == 0 ? 0 : a & ~((len == 32) ? 0u : (0xffffffffu >> len))), std::uint8_t(len)};
    return p;
  }
  U128 v = (U128(0x20010db8) << 96) | (U128(rng() & 0xffff) << 80) | U128(rng() & 0xff);
  unsigned len = 32 + unsigned(rng() % 97);
  unsigned host = 128 - len;
  if (host) v &= ~((U128(1) << host) - 1);
  return Prefix{from_u128(v), std::uint8_t(len)};
}

IpAddress random_address(std::mt19937_64& rng, bool v4, const std::vector<PrefixTable::Item>& items) {
  // Half near a prefix boundary (first, last, just outside), half random.
  if (!items.empty() && rng() % 2) {
    const auto& p = items[rng() % items.size()].prefix;
    if (p.is_v4() == v4) {
      U128 b[4] = {p.first(), p.last(), p.first() - 1, p.last() + 1};
      IpAddress a = from_u128(b[rng() % 4]);
      if (a.is_v4() == v4) return a;
    }
  }
  if (v4) return IpAddress::v4(0xC6000000u | std::uint32_t(rng() & 0x000fffffu));
  return from_u128((U128(0x20010db8) << 96) | (U128(rng() & 0xffff) << 80) | U128(rng() & 0xff));
}

}  // namespace

TEST_CASE("table: random prefixes match a linear scan", "[intel]") {
  std::mt19937_64 rng(12345);
  for (int round = 0; round < 20; ++round) {
    std::vector<PrefixTable::Item> items;
    std::uint32_t n = 1 + std::uint32_t(rng() % 300);
    for (std::uint32_t i = 0; i < n; ++i) {
      bool v4 = rng() % 3 != 0;
      items.push_back({random_prefix(rng, v4), std::uint32_t(rng() % (n / 2 + 1)), rng() % 25 == 0});
    }
    auto t = PrefixTable::build(items, n);
    std::vector<IpAddress> addrs;
    for (int k = 0; k < 2000; ++k) addrs.push_back(random_address(rng, rng() % 2, items));
    std::vector<PrefixTable::ResultId> batch(addrs.size());
    t.find_batch(addrs.data(), addrs.size(), batch.data());
    for (std::size_t k = 0; k < addrs.size(); ++k) {
      INFO(addrs[k].to_string());
      auto want = reference(items, addrs[k]);
      CHECK(got(t, addrs[k]) == want);
      auto b = t.values(batch[k]);
      CHECK(std::vector<std::uint32_t>(b.begin(), b.end()) == want);
    }
  }
}

TEST_CASE("table: /0, /32 and /128", "[intel]") {
  std::vector<PrefixTable::Item> items = {
      {pfx("0.0.0.0/0"), 0, false}, {pfx("203.0.113.9/32"), 1, false},
      {pfx("::/0"), 2, false},      {pfx("2001:db8::1/128"), 3, false},
      {pfx("255.255.255.255/32"), 4, false}, {pfx("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff/128"), 5, false}};
  auto t = PrefixTable::build(items, 6);
  using V = std::vector<std::uint32_t>;
  CHECK(got(t, ip("203.0.113.9")) == V{0, 1});
  CHECK(got(t, ip("203.0.113.10")) == V{0});
  CHECK(got(t, ip("0.0.0.0")) == V{0});
  CHECK(got(t, ip("255.255.255.255")) == V{0, 4});
  CHECK(got(t, ip("2001:db8::1")) == V{2, 3});
  CHECK(got(t, ip("2001:db8::2")) == V{2});
  CHECK(got(t, ip("::")) == V{2});
  CHECK(got(t, ip("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff")) == V{2, 5});
  // ::/0 does not cover IPv4: an IPv4 address is looked up as IPv4.
  CHECK(got(t, ip("::ffff:203.0.113.10")) == V{0});
}

TEST_CASE("table: nested prefixes in either order give the same answers", "[intel]") {
  std::vector<PrefixTable::Item> items = {{pfx("198.51.100.0/24"), 0, false},
                                          {pfx("198.51.100.128/25"), 1, false},
                                          {pfx("198.51.100.200/32"), 2, false},
                                          {pfx("198.51.100.0/22"), 3, false}};
  auto reversed = items;
  std::reverse(reversed.begin(), reversed.end());
  auto a = PrefixTable::build(items, 4), b = PrefixTable::build(reversed, 4);
  using V = std::vector<std::uint32_t>;
  for (auto* t : {&a, &b}) {
    CHECK(got(*t, ip("198.51.100.200")) == V{0, 1, 2, 3});
    CHECK(got(*t, ip("198.51.100.201")) == V{0, 1, 3});
    CHECK(got(*t, ip("198.51.100.1")) == V{0, 3});
    CHECK(got(*t, ip("198.51.101.1")) == V{3});
    CHECK(got(*t, ip("198.51.104.1")) == V{});
  }
}

TEST_CASE("table: an allow prefix hides every value it covers", "[intel]") {
  std::vector<PrefixTable::Item> items = {{pfx("192.0.2.0/24"), 0, false}, {pfx("192.0.2.16/28"), 0, true},
                                          {pfx("192.0.2.20/32"), 1, false}};
  auto t = PrefixTable::build(items, 2);
  using V = std::vector<std::uint32_t>;
  CHECK(got(t, ip("192.0.2.20")) == V{});
  CHECK(got(t, ip("192.0.2.15")) == V{0});
  CHECK(got(t, ip("192.0.2.32")) == V{0});
}

TEST_CASE("table: a /32 host costs 12 bytes beyond the fixed first level", "[intel]") {
  std::vector<PrefixTable::Item> items;
  for (std::uint32_t i = 0; i < 1000; ++i) items.push_back({Prefix{IpAddress::v4(0xC6336400u + i * 7), 32}, i, false});
  auto t = PrefixTable::build(items, 1000);
  CHECK(t.stats().interval_bytes == 1000 * 8);
  CHECK(t.stats().set_bytes == 1000 * 4 + 8);  // pool + the reserved empty set
}
