#pragma once
// Raw ring-buffer records -> ConnEvent, and the text forms of events and
// modes. Pure functions: no kernel, no clock reads (the clock offset is
// passed in), so every byte order and mode is unit-testable.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "badip/result.h"
#include "probe/conn_event.h"

namespace badip {

// Decodes one badip_conn_event. `mono_to_wall_ns` is added to the kernel's
// CLOCK_MONOTONIC timestamp to get Unix time (see mono_to_wall_offset_ns()).
// Errors (EINVAL): short record, unknown version, out-of-range kind,
// direction, mode or owner.
Result<ConnEvent> decode_event(std::span<const std::byte> raw, std::int64_t mono_to_wall_ns);

// CLOCK_REALTIME - CLOCK_MONOTONIC now, in ns.
std::int64_t mono_to_wall_offset_ns();

// "fentry", "kprobe", "tracepoint"
std::string_view to_string(AttachMode mode);
std::string_view to_string(Direction d);  // "in", "out"
std::string_view to_string(EventKind k);  // "open", "close"
std::string_view to_string(Owner o);      // "task", "listener", "unknown"
// "auto" -> nullopt inside the optional; an unknown word -> Error.
Result<std::optional<AttachMode>> parse_attach_mode(std::string_view text);

// "192.0.2.1:443", "[2001:db8::1]:443"
std::string format_endpoint(const IpAddress& addr, std::uint16_t port);
// "2026-12-03T16:27:01.123456Z"
std::string format_wall_time(std::int64_t wall_ns);

// One human line, e.g.
// 2026-12-03T16:27:01.123456Z in  open  nginx[812] 192.0.2.1:443 <- 203.0.113.66:51234
// 2026-12-03T16:27:02.000000Z in  close nginx[812] 192.0.2.1:443 <- 203.0.113.66:51234 rx=20000 tx=0 dur=12.345ms
std::string format_text(const ConnEvent& e);
// One JSON object (no newline) with keys ts, event, direction, pid, tid, uid,
// comm, local_addr, local_port, remote_addr, remote_port, bytes_received,
// bytes_sent, duration_ms, owner, mode, sock_id, cgroup_id.
std::string format_json(const ConnEvent& e);

}  // namespace badip
