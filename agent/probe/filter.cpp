#include "probe/filter.h"

#include <charconv>
#include <string>

namespace badip {

Result<Cidr> Cidr::parse(std::string_view text) {
  auto slash = text.find('/');
  std::string_view addr_text = text.substr(0, slash);
  auto addr = IpAddress::parse(addr_text);
  if (!addr) return Error{0, "bad address in CIDR '" + std::string(text) + "'"};
  // A v4 prefix is given in IPv4 bits unless written in IPv6 notation.
  bool v4_notation = addr_text.find(':') == std::string_view::npos;
  unsigned max_bits = v4_notation ? 32 : 128;
  unsigned bits = max_bits;
  if (slash != std::string_view::npos) {
    std::string_view b = text.substr(slash + 1);
    auto [end, ec] = std::from_chars(b.data(), b.data() + b.size(), bits);
    if (b.empty() || ec != std::errc() || end != b.data() + b.size() || bits > max_bits)
      return Error{0, "bad prefix length in CIDR '" + std::string(text) + "'"};
  }
  Cidr c;
  c.base_ = *addr;
  c.bits_ = v4_notation ? bits + 96 : bits;
  const auto& bytes = c.base_.bytes();
  for (unsigned i = c.bits_; i < 128; ++i) {
    if (bytes[i / 8] & (0x80 >> (i % 8)))
      return Error{0, "host bits set in CIDR '" + std::string(text) + "'"};
  }
  return c;
}

bool Cidr::contains(const IpAddress& a) const {
  const auto& x = a.bytes();
  const auto& b = base_.bytes();
  unsigned full = bits_ / 8;
  for (unsigned i = 0; i < full; ++i)
    if (x[i] != b[i]) return false;
  if (bits_ % 8 == 0) return true;
  std::uint8_t mask = static_cast<std::uint8_t>(0xff << (8 - bits_ % 8));
  return (x[full] & mask) == (b[full] & mask);
}

}  // namespace badip
