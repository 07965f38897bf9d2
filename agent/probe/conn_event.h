#pragma once
// ConnEvent: one connection record as the rest of the agent sees it, decoded
// from the kernel's badip_conn_event (include/badip/event.h). Ports are host
// order here; nothing outside the probe part touches raw record bytes.
#include <array>
#include <cstdint>
#include <string_view>

#include "badip/ip_address.h"

namespace badip {

enum class EventKind : std::uint8_t { Open = 1, Close = 2 };
enum class Direction : std::uint8_t { In = 1, Out = 2 };
enum class AttachMode : std::uint8_t { Fentry = 1, Kprobe = 2, Tracepoint = 3 };
// Who pid/tgid/uid/comm describe (see badip_owner).
enum class Owner : std::uint8_t { Task = 0, Listener = 1, Unknown = 2 };

struct ConnEvent {
  EventKind kind = EventKind::Open;
  Direction direction = Direction::In;
  AttachMode mode = AttachMode::Tracepoint;
  Owner owner = Owner::Unknown;
  std::uint64_t mono_ns = 0;  // kernel CLOCK_MONOTONIC timestamp
  std::int64_t wall_ns = 0;   // the same instant as Unix time (ns)
  std::uint64_t sock_id = 0;  // same value on a connection's open and close
  IpAddress local;
  IpAddress remote;
  std::uint16_t local_port = 0;   // host order
  std::uint16_t remote_port = 0;  // host order
  std::uint32_t pid = 0;   // thread id
  std::uint32_t tgid = 0;  // process id
  std::uint32_t uid = 0;
  std::uint64_t cgroup_id = 0;
  std::array<char, 16> comm{};  // NUL-terminated unless 16 chars long
  // Close only:
  std::uint64_t bytes_received = 0;  // from the remote peer
  std::uint64_t bytes_sent = 0;      // acked by the remote peer
  std::uint64_t duration_ns = 0;

  std::string_view comm_view() const {
    std::size_t n = 0;
    while (n < comm.size() && comm[n] != '\0') ++n;
    return {comm.data(), n};
  }
};

}  // namespace badip
