// Input edge cases, one test each, on small texts written here.
#include <catch2/catch.hpp>

#include "intel/feed_parse.h"

using namespace badip::intel;

namespace {
ParsedFeed parse(const std::string& text, ParseOptions o = {}) {
  auto r = parse_feed_text(text, "t.txt", o);
  REQUIRE(r.ok());
  return std::move(r).value();
}
std::vector<std::string> prefixes(const ParsedFeed& f) {
  std::vector<std::string> v;
  for (const auto& e : f.entries) v.push_back(e.prefix.to_string());
  return v;
}
using V = std::vector<std::string>;
}  // namespace

TEST_CASE("edges: # and ; comments, inline comments", "[intel]") {
  auto f = parse("# header\n; other header\n192.0.2.1 # inline\n192.0.2.2 ; inline\n192.0.2.0/24#x\n");
  CHECK(prefixes(f) == V{"192.0.2.1", "192.0.2.2", "192.0.2.0/24"});
  CHECK(f.rejected.empty());
}

TEST_CASE("edges: CRLF, bare CR, BOM, blank lines, trailing spaces", "[intel]") {
  CHECK(prefixes(parse("192.0.2.1\r\n192.0.2.2\r\n")) == V{"192.0.2.1", "192.0.2.2"});
  CHECK(prefixes(parse("192.0.2.1\r192.0.2.2\r")) == V{"192.0.2.1", "192.0.2.2"});
  CHECK(prefixes(parse("\xEF\xBB\xBF" "192.0.2.1\n")) == V{"192.0.2.1"});
  CHECK(prefixes(parse("\n\n192.0.2.1\n\n   \n192.0.2.2\n")) == V{"192.0.2.1", "192.0.2.2"});
  CHECK(prefixes(parse("192.0.2.1   \n192.0.2.2\t\n")) == V{"192.0.2.1", "192.0.2.2"});
  // iprep with CRLF and CR keeps its line numbers right for rejects
  auto f = parse("1.2.3.4,1,101\r\n1.2.3.5,1,999\r\n", ParseOptions{Format::kIprep, "", "", false});
  CHECK(f.rejected == V{"t.txt:2: bad score '999' (0..127)"});
}

TEST_CASE("edges: host bits set are normalised and warned", "[intel]") {
  auto f = parse("192.0.2.77/24\n");
  CHECK(prefixes(f) == V{"192.0.2.0/24"});
  CHECK(f.warnings == V{"t.txt:1: host bits set, normalised to 192.0.2.0/24"});
}

TEST_CASE("edges: /0 rejected unless the feed allows it", "[intel]") {
  auto f = parse("0.0.0.0/0\n192.0.2.1\n");
  CHECK(prefixes(f) == V{"192.0.2.1"});
  CHECK(f.rejected == V{"t.txt:1: /0 not allowed for this feed '0.0.0.0/0'"});
  ParseOptions o;
  o.allow_zero_prefix = true;
  CHECK(prefixes(parse("0.0.0.0/0\n::/0\n", o)) == V{"0.0.0.0/0", "::/0"});
}

TEST_CASE("edges: ranges, also ending at the top of the space", "[intel]") {
  auto f = parse("192.0.2.0-192.0.2.3\n255.255.255.252 - 255.255.255.255\n"
                 "ffff:ffff:ffff:ffff:ffff:ffff:ffff:fff0-ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff\n");
  CHECK(prefixes(f) == V{"192.0.2.0/30", "255.255.255.252/30", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:fff0/124"});
}

TEST_CASE("edges: leading-zero octets are rejected, the rest loads", "[intel]") {
  auto f = parse("010.1.1.1\n192.0.2.1\n");
  CHECK(prefixes(f) == V{"192.0.2.1"});
  CHECK(f.rejected == V{"t.txt:1: octet with leading zero is ambiguous '010.1.1.1'"});
}

TEST_CASE("edges: IPv6 zone ids are rejected", "[intel]") {
  auto f = parse("fe80::1%eth0\n2001:db8::1\n");
  CHECK(prefixes(f) == V{"2001:db8::1"});
  CHECK(f.rejected == V{"t.txt:1: IPv6 zone id not allowed in a feed 'fe80::1%eth0'"});
}

TEST_CASE("edges: IPv4-mapped IPv6 is normalised to IPv4", "[intel]") {
  auto f = parse("::ffff:203.0.113.9\n");
  CHECK(prefixes(f) == V{"203.0.113.9"});
  CHECK(f.entries[0].prefix.is_v4());
}

TEST_CASE("edges: duplicates kept once, nested prefixes all kept", "[intel]") {
  auto f = parse("192.0.2.1\n192.0.2.1\n192.0.2.0/24\n192.0.2.0/25\n::ffff:192.0.2.1\n");
  CHECK(prefixes(f) == V{"192.0.2.1", "192.0.2.0/24", "192.0.2.0/25"});
  CHECK(f.duplicates == 2);
  CHECK(f.warnings == V{"t.txt: 2 duplicate entries ignored"});
}

TEST_CASE("edges: garbage lines are rejected with file:line, the rest loads", "[intel]") {
  auto f = parse("192.0.2.1\nnot an ip\n192.0.2.300\n198.51.100.0/24\n");
  CHECK(prefixes(f) == V{"192.0.2.1", "198.51.100.0/24"});
  CHECK(f.rejected == V{"t.txt:2: unexpected text after address 'not an ip'", "t.txt:3: not an IPv4 address '192.0.2.300'"});
}

TEST_CASE("edges: unrecognised content is an error, empty list a warning", "[intel]") {
  auto bad = parse_feed_text("<html><body>503</body></html>\n", "page.html", {});
  REQUIRE(!bad.ok());
  CHECK(bad.error().message().rfind("page.html: unrecognised format (tried plain, ", 0) == 0);
  auto json = parse_feed_text("{\"hello\": 1}\n", "x.json", {});
  REQUIRE(!json.ok());
  CHECK(json.error().message() ==
        "x.json: unrecognised format: JSON but not a STIX 2.1 bundle, a MISP event, OTX pulses or Spamhaus JSON lines");
  auto empty = parse("# only a header\n");
  CHECK(empty.entries.empty());
  CHECK(empty.warnings == V{"t.txt: no entries (valid but empty plain file)"});
}

TEST_CASE("edges: format override and CSV column by name", "[intel]") {
  ParseOptions o;
  o.format = Format::kCsv;
  o.csv_column = "addr";
  auto f = parse("name,addr\nbad,192.0.2.5\n", o);
  CHECK(prefixes(f) == V{"192.0.2.5"});
  CHECK(f.entries[0].meta == Meta{{"name", "bad"}});
}

TEST_CASE("edges: STIX OR-ed comparisons, CIDRs and other indicator types", "[intel]") {
  std::string b = R"({"type":"bundle","id":"bundle--1","objects":[
    {"type":"indicator","spec_version":"2.1","id":"indicator--a","pattern_type":"stix",
     "pattern":"[ipv4-addr:value = '198.51.100.1' OR ipv4-addr:value = '203.0.113.0/24' OR ipv6-addr:value = '2001:db8::7']"},
    {"type":"indicator","spec_version":"2.1","id":"indicator--b","pattern_type":"stix","pattern":"[domain-name:value = 'example.com']"},
    {"type":"indicator","spec_version":"2.1","id":"indicator--c","pattern_type":"stix","pattern":"[ipv4-addr:value ISSUBSET '192.0.2.0/25']"}]})";
  auto f = parse(b);
  CHECK(format_name(f.format) == "stix");
  CHECK(prefixes(f) == V{"198.51.100.1", "203.0.113.0/24", "2001:db8::7", "192.0.2.0/25"});
  CHECK(f.skipped == 1);
  CHECK(f.entries[0].meta == Meta{{"id", "indicator--a"}});
}

TEST_CASE("edges: MISP ip|port attributes inside objects", "[intel]") {
  std::string e = R"({"Event":{"info":"test event","Attribute":[
      {"type":"ip-src|port","value":"198.51.100.9|443","uuid":"u1"},{"type":"domain","value":"example.com"}],
    "Object":[{"Attribute":[{"type":"ip-dst","value":"2001:db8::9","uuid":"u2"}]}]}})";
  auto f = parse(e);
  CHECK(format_name(f.format) == "misp");
  CHECK(prefixes(f) == V{"198.51.100.9", "2001:db8::9"});
  CHECK(f.entries[0].meta == Meta{{"type", "ip-src|port"}, {"port", "443"}, {"uuid", "u1"}, {"event", "test event"}});
  CHECK(f.skipped == 1);
}
