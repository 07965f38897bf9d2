#include "probe/decode.h"

#include <arpa/inet.h>
#include <time.h>

#include <cstring>

#include <fmt/format.h>

#include "badip/event.h"

namespace badip {

namespace {

Error bad(const char* what) { return Error{EINVAL, what}; }

std::string json_escape(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (unsigned char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\t': out += "\\t"; break;
      default:
        if (c < 0x20 || c >= 0x7f) {
          // comm is raw bytes from the kernel: keep JSON valid ASCII
          out += fmt::format("\\u{:04x}", c);
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  return out;
}

}  // namespace

Result<ConnEvent> decode_event(std::span<const std::byte> raw, std::int64_t mono_to_wall_ns) {
  if (raw.size() < sizeof(badip_conn_event)) return bad("event: record shorter than badip_conn_event");
  badip_conn_event r;
  std::memcpy(&r, raw.data(), sizeof(r));
  if (r.hdr.version != BADIP_EVENT_VERSION) return bad("event: unknown record version");
  if (r.hdr.kind != BADIP_EV_OPEN && r.hdr.kind != BADIP_EV_CLOSE) return bad("event: bad kind");
  if (r.direction != BADIP_DIR_IN && r.direction != BADIP_DIR_OUT) return bad("event: bad direction");
  if (r.hdr.mode < BADIP_MODE_FENTRY || r.hdr.mode > BADIP_MODE_TRACEPOINT) return bad("event: bad mode");
  if (r.owner > BADIP_OWNER_UNKNOWN) return bad("event: bad owner");

  ConnEvent e;
  e.kind = static_cast<EventKind>(r.hdr.kind);
  e.direction = static_cast<Direction>(r.direction);
  e.mode = static_cast<AttachMode>(r.hdr.mode);
  e.owner = static_cast<Owner>(r.owner);
  e.mono_ns = r.hdr.ts_ns;
  e.wall_ns = static_cast<std::int64_t>(r.hdr.ts_ns) + mono_to_wall_ns;
  e.sock_id = r.sock_id;
  e.local = IpAddress::from_bytes(r.laddr);
  e.remote = IpAddress::from_bytes(r.raddr);
  e.local_port = (r.flags & BADIP_F_LPORT_NET) ? ntohs(r.lport) : r.lport;
  e.remote_port = (r.flags & BADIP_F_RPORT_NET) ? ntohs(r.rport) : r.rport;
  e.pid = r.pid;
  e.tgid = r.tgid;
  e.uid = r.uid;
  e.cgroup_id = r.cgroup_id;
  std::memcpy(e.comm.data(), r.comm, e.comm.size());
  if (e.kind == EventKind::Close) {
    e.bytes_received = r.bytes_received;
    e.bytes_sent = r.bytes_acked;
    e.duration_ns = r.duration_ns;
  }
  return e;
}

std::int64_t mono_to_wall_offset_ns() {
  timespec mono{}, wall{};
  clock_gettime(CLOCK_MONOTONIC, &mono);
  clock_gettime(CLOCK_REALTIME, &wall);
  return (std::int64_t(wall.tv_sec) - mono.tv_sec) * 1'000'000'000 + (wall.tv_nsec - mono.tv_nsec);
}

std::string_view to_string(AttachMode mode) {
  switch (mode) {
    case AttachMode::Fentry: return "fentry";
    case AttachMode::Kprobe: return "kprobe";
    case AttachMode::Tracepoint: return "tracepoint";
  }
  return "?";
}

std::string_view to_string(Direction d) { return d == Direction::In ? "in" : "out"; }
std::string_view to_string(EventKind k) { return k == EventKind::Open ? "open" : "close"; }

std::string_view to_string(Owner o) {
  switch (o) {
    case Owner::Task: return "task";
    case Owner::Listener: return "listener";
    case Owner::Unknown: return "unknown";
  }
  return "?";
}

Result<std::optional<AttachMode>> parse_attach_mode(std::string_view text) {
  if (text == "auto") return std::optional<AttachMode>{};
  if (text == "fentry") return std::optional<AttachMode>{AttachMode::Fentry};
  if (text == "kprobe") return std::optional<AttachMode>{AttachMode::Kprobe};
  if (text == "tracepoint") return std::optional<AttachMode>{AttachMode::Tracepoint};
  return Error{0, fmt::format("unknown attach mode '{}' (auto, fentry, kprobe, tracepoint)", text)};
}

std::string format_endpoint(const IpAddress& addr, std::uint16_t port) {
  if (addr.is_v4()) return fmt::format("{}:{}", addr.to_string(), port);
  return fmt::format("[{}]:{}", addr.to_string(), port);
}

std::string format_wall_time(std::int64_t wall_ns) {
  std::int64_t secs = wall_ns / 1'000'000'000;
  std::int64_t rem = wall_ns % 1'000'000'000;
  if (rem < 0) {
    rem += 1'000'000'000;
    --secs;
  }
  time_t t = static_cast<time_t>(secs);
  tm utc{};
  gmtime_r(&t, &utc);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:06}Z", utc.tm_year + 1900, utc.tm_mon + 1,
                     utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec, rem / 1000);
}

std::string format_text(const ConnEvent& e) {
  std::string who = e.owner == Owner::Unknown
                        ? std::string("?[?]")
                        : fmt::format("{}[{}]", e.comm_view(), e.tgid);
  if (e.owner == Owner::Listener) who += "(listener)";
  // The arrow points the way the connection was made.
  std::string line = fmt::format("{} {:<3} {:<5} {} {} {} {}", format_wall_time(e.wall_ns),
                                 to_string(e.direction), to_string(e.kind), who,
                                 format_endpoint(e.local, e.local_port),
                                 e.direction == Direction::In ? "<-" : "->",
                                 format_endpoint(e.remote, e.remote_port));
  if (e.kind == EventKind::Close) {
    line += fmt::format(" rx={} tx={} dur={:.3f}ms", e.bytes_received, e.bytes_sent,
                        e.duration_ns / 1e6);
  }
  return line;
}

std::string format_json(const ConnEvent& e) {
  return fmt::format(
      "{{\"ts\":\"{}\",\"event\":\"{}\",\"direction\":\"{}\",\"pid\":{},\"tid\":{},\"uid\":{},"
      "\"comm\":\"{}\",\"local_addr\":\"{}\",\"local_port\":{},\"remote_addr\":\"{}\","
      "\"remote_port\":{},\"bytes_received\":{},\"bytes_sent\":{},\"duration_ms\":{:.3f},"
      "\"owner\":\"{}\",\"mode\":\"{}\",\"sock_id\":{},\"cgroup_id\":{}}}",
      format_wall_time(e.wall_ns), to_string(e.kind), to_string(e.direction), e.tgid, e.pid, e.uid,
      json_escape(e.comm_view()), e.local.to_string(), e.local_port, e.remote.to_string(),
      e.remote_port, e.bytes_received, e.bytes_sent, e.duration_ns / 1e6, to_string(e.owner),
      to_string(e.mode), e.sock_id, e.cgroup_id);
}

}  // namespace badip
