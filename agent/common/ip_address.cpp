#include "badip/ip_address.h"

#include <arpa/inet.h>

namespace badip {

std::optional<IpAddress> IpAddress::parse(std::string_view text) {
  char buf[INET6_ADDRSTRLEN + 1];
  if (text.empty() || text.size() >= sizeof(buf)) return std::nullopt;
  std::memcpy(buf, text.data(), text.size());
  buf[text.size()] = '\0';
  IpAddress a;
  in_addr v4{};
  if (inet_pton(AF_INET, buf, &v4) == 1) {
    a.b_[10] = a.b_[11] = 0xff;
    std::memcpy(a.b_.data() + 12, &v4, 4);
    return a;
  }
  if (inet_pton(AF_INET6, buf, a.b_.data()) == 1) return a;
  return std::nullopt;
}

std::string IpAddress::to_string() const {
  char buf[INET6_ADDRSTRLEN];
  if (is_v4()) {
    inet_ntop(AF_INET, b_.data() + 12, buf, sizeof(buf));
  } else {
    inet_ntop(AF_INET6, b_.data(), buf, sizeof(buf));
  }
  return buf;
}

}  // namespace badip
