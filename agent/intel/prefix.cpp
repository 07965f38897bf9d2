#include "intel/prefix.h"

#include <arpa/inet.h>

#include <cstring>

namespace badip::intel {
namespace {

constexpr U128 kV4MappedBase = U128(0xffff) << 32;

bool is_digit(char c) { return c >= '0' && c <= '9'; }

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// Dotted quad with 1-3 digit decimal octets and no leading zeros.
std::optional<std::uint32_t> parse_v4(std::string_view s, std::string* why) {
  std::uint32_t v = 0;
  int parts = 0;
  std::size_t i = 0;
  while (true) {
    std::size_t start = i;
    unsigned octet = 0;
    while (i < s.size() && is_digit(s[i]) && i - start < 4) octet = octet * 10 + unsigned(s[i++] - '0');
    std::size_t n = i - start;
    if (n == 0 || n > 3 || octet > 255) {
      if (why) *why = "not an IPv4 address";
      return std::nullopt;
    }
    if (n > 1 && s[start] == '0') {
      if (why) *why = "octet with leading zero is ambiguous";
      return std::nullopt;
    }
    v = (v << 8) | octet;
    ++parts;
    if (parts == 4) break;
    if (i >= s.size() || s[i] != '.') {
      if (why) *why = "not an IPv4 address";
      return std::nullopt;
    }
    ++i;
  }
  if (i != s.size()) {
    if (why) *why = "not an IPv4 address";
    return std::nullopt;
  }
  return v;
}

}  // namespace

U128 to_u128(const IpAddress& a) {
  U128 v = 0;
  for (auto b : a.bytes()) v = (v << 8) | b;
  return v;
}

IpAddress from_u128(U128 v) {
  IpAddress::Bytes b{};
  for (int i = 15; i >= 0; --i) {
    b[i] = std::uint8_t(v);
    v >>= 8;
  }
  return IpAddress::from_bytes(b);
}

U128 Prefix::first() const { return to_u128(addr); }

U128 Prefix::last() const {
  unsigned host_bits = max_len() - len;
  U128 mask = host_bits >= 128 ? ~U128(0) : ((U128(1) << host_bits) - 1);
  return to_u128(addr) | mask;
}

bool Prefix::contains(const IpAddress& a) const {
  if (a.is_v4() != is_v4()) return false;
  U128 v = to_u128(a);
  return v >= first() && v <= last();
}

std::string Prefix::to_string() const {
  if (is_host()) return addr.to_string();
  return addr.to_string() + "/" + std::to_string(len);
}

std::optional<IpAddress> parse_address(std::string_view s, std::string* why) {
  s = trim(s);
  if (s.empty()) {
    if (why) *why = "empty address";
    return std::nullopt;
  }
  if (s.find(':') == std::string_view::npos) {
    auto v = parse_v4(s, why);
    if (!v) return std::nullopt;
    return IpAddress::v4(*v);
  }
  if (s.find('%') != std::string_view::npos) {
    if (why) *why = "IPv6 zone id not allowed in a feed";
    return std::nullopt;
  }
  char buf[64];
  if (s.size() >= sizeof(buf)) {
    if (why) *why = "not an IP address";
    return std::nullopt;
  }
  std::memcpy(buf, s.data(), s.size());
  buf[s.size()] = 0;
  std::uint8_t raw[16];
  if (inet_pton(AF_INET6, buf, raw) != 1) {
    if (why) *why = "not an IPv6 address";
    return std::nullopt;
  }
  // inet_pton also takes "::ffff:010.1.1.1"? It does not, but check the
  // embedded dotted part the same way as plain IPv4 for consistency.
  auto dot = s.rfind(':');
  if (s.find('.') != std::string_view::npos && !parse_v4(s.substr(dot + 1), why)) return std::nullopt;
  return IpAddress::from_bytes(raw);  // v4-mapped input is IPv4 from here on
}

std::vector<Prefix> range_to_prefixes(const IpAddress& first, const IpAddress& last) {
  std::vector<Prefix> out;
  bool v4 = first.is_v4();
  unsigned width = v4 ? 32 : 128;
  U128 base = v4 ? kV4MappedBase : 0;
  U128 lo = to_u128(first) - base, hi = to_u128(last) - base;
  while (true) {
    // Largest aligned block starting at lo that stays within hi.
    unsigned size_bits = 0;
    while (size_bits < width) {
      U128 block = U128(1) << size_bits;  // size of the next candidate is 2*block
      if (size_bits + 1 > width) break;
      if (lo & block) break;  // not aligned for a bigger block
      U128 span_last = lo + ((size_bits + 1 == 128) ? ~U128(0) : ((U128(1) << (size_bits + 1)) - 1));
      if (size_bits + 1 < 128 && span_last < lo) break;
      if (span_last > hi) break;
      ++size_bits;
    }
    out.push_back(Prefix{from_u128(lo + base), std::uint8_t(width - size_bits)});
    U128 block_last = lo + (size_bits == 128 ? ~U128(0) : ((U128(1) << size_bits) - 1));
    if (block_last >= hi) break;  // also stops at the top of the space
    lo = block_last + 1;
  }
  return out;
}

PrefixParse parse_prefix(std::string_view token, const PrefixRules& rules) {
  PrefixParse r;
  token = trim(token);
  if (auto dash = token.find('-'); dash != std::string_view::npos) {
    std::string why;
    auto a = parse_address(token.substr(0, dash), &why);
    if (!a) {
      r.error = "range start: " + why;
      return r;
    }
    auto b = parse_address(token.substr(dash + 1), &why);
    if (!b) {
      r.error = "range end: " + why;
      return r;
    }
    if (a->is_v4() != b->is_v4()) {
      r.error = "range mixes IPv4 and IPv6";
      return r;
    }
    if (*b < *a) {
      r.error = "range end before start";
      return r;
    }
    r.prefixes = range_to_prefixes(*a, *b);
    if (!rules.allow_zero_prefix && r.prefixes.size() == 1 && r.prefixes[0].len == 0) {
      r.prefixes.clear();
      r.error = "range covers the whole address space (/0 not allowed for this feed)";
    }
    return r;
  }
  std::string_view addr_text = token;
  std::optional<unsigned> len;
  if (auto slash = token.find('/'); slash != std::string_view::npos) {
    addr_text = token.substr(0, slash);
    auto ltext = token.substr(slash + 1);
    if (ltext.empty() || ltext.size() > 3) {
      r.error = "bad prefix length";
      return r;
    }
    unsigned v = 0;
    for (char c : ltext) {
      if (!is_digit(c)) {
        r.error = "bad prefix length";
        return r;
      }
      v = v * 10 + unsigned(c - '0');
    }
    len = v;
  }
  std::string why;
  auto a = parse_address(addr_text, &why);
  if (!a) {
    r.error = why;
    return r;
  }
  bool text_v6 = addr_text.find(':') != std::string_view::npos;
  unsigned max = a->is_v4() ? 32 : 128;
  unsigned l = max;
  if (len) {
    l = *len;
    if (text_v6 && a->is_v4()) {
      // ::ffff:a.b.c.d/n is written in IPv6 prefix lengths.
      if (l < 96 || l > 128) {
        r.error = "bad prefix length for an IPv4-mapped address";
        return r;
      }
      l -= 96;
    }
    if (l > max) {
      r.error = "prefix length out of range";
      return r;
    }
  }
  if (l == 0 && !rules.allow_zero_prefix) {
    r.error = "/0 not allowed for this feed";
    return r;
  }
  Prefix p{*a, std::uint8_t(l)};
  U128 v = to_u128(p.addr);
  unsigned host_bits = max - l;
  U128 mask = host_bits >= 128 ? ~U128(0) : ((U128(1) << host_bits) - 1);
  if (v & mask) {
    if (a->is_v4() && host_bits == 32) v = kV4MappedBase;  // keep the mapping bits
    else v &= ~mask;
    p.addr = from_u128(v);
    r.warning = "host bits set, normalised to " + p.to_string();
  }
  r.prefixes.push_back(p);
  return r;
}

}  // namespace badip::intel
