#pragma once
// An IPv4 or IPv6 address held as 16 bytes in network order; IPv4 is stored
// v4-mapped (::ffff:a.b.c.d), so an IPv4 address and its mapped IPv6 form
// are the same value everywhere in the agent.
#include <array>
#include <compare>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>

namespace badip {

class IpAddress {
 public:
  using Bytes = std::array<std::uint8_t, 16>;

  constexpr IpAddress() = default;
  static IpAddress from_bytes(const std::uint8_t (&b)[16]) {
    IpAddress a;
    std::memcpy(a.b_.data(), b, 16);
    return a;
  }
  static IpAddress from_bytes(const Bytes& b) {
    IpAddress a;
    a.b_ = b;
    return a;
  }
  // host-order IPv4, e.g. 0xC0000201 for 192.0.2.1
  static IpAddress v4(std::uint32_t host_order) {
    IpAddress a;
    a.b_[10] = a.b_[11] = 0xff;
    a.b_[12] = host_order >> 24;
    a.b_[13] = host_order >> 16;
    a.b_[14] = host_order >> 8;
    a.b_[15] = host_order;
    return a;
  }
  // Accepts dotted IPv4 and any inet_pton IPv6 text (mapped forms become IPv4).
  // Lenient: feed parsers that must reject odd spellings check before calling.
  static std::optional<IpAddress> parse(std::string_view text);

  bool is_v4() const {
    static constexpr std::uint8_t kPrefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    return std::memcmp(b_.data(), kPrefix, 12) == 0;
  }
  std::uint32_t v4_host_order() const {
    return (std::uint32_t(b_[12]) << 24) | (std::uint32_t(b_[13]) << 16) |
           (std::uint32_t(b_[14]) << 8) | b_[15];
  }
  const Bytes& bytes() const { return b_; }
  // "203.0.113.9" or "2001:db8::1"
  std::string to_string() const;

  auto operator<=>(const IpAddress&) const = default;

 private:
  Bytes b_{};
};

}  // namespace badip
