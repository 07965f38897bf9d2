// Decoding raw ring-buffer records, text and JSON forms, filters: no kernel.
#include <arpa/inet.h>

#include <cstring>
#include <vector>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "badip/event.h"
#include "probe/decode.h"
#include "probe/filter.h"

using namespace badip;

namespace {

// 2026-12-03T10:00:00Z as Unix ns; monotonic clock at 5 s.
constexpr std::int64_t kWallAtZero = 1796292000LL * 1'000'000'000 - 5'000'000'000LL;
constexpr std::uint64_t kMono = 5'000'000'000ULL + 123'456'789ULL;

badip_conn_event base_record(std::uint16_t mode, std::uint8_t flags, std::uint16_t lport,
                             std::uint16_t rport) {
  badip_conn_event r{};
  r.hdr.ts_ns = kMono;
  r.hdr.kind = BADIP_EV_CLOSE;
  r.hdr.version = BADIP_EVENT_VERSION;
  r.hdr.size = sizeof(r);
  r.hdr.mode = mode;
  r.sock_id = 0xffff888012345678ULL;
  r.bytes_received = 20000;
  r.bytes_acked = 1234;
  r.duration_ns = 12'345'678;
  r.cgroup_id = 42;
  const std::uint8_t local[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 192, 0, 2, 1};
  const std::uint8_t remote[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 203, 0, 113, 66};
  std::memcpy(r.laddr, local, 16);
  std::memcpy(r.raddr, remote, 16);
  r.pid = 812;
  r.tgid = 800;
  r.uid = 33;
  r.lport = lport;
  r.rport = rport;
  r.family = 2;
  r.direction = BADIP_DIR_IN;
  r.owner = BADIP_OWNER_TASK;
  r.flags = flags;
  std::memcpy(r.comm, "nginx", 6);
  return r;
}

std::span<const std::byte> bytes_of(const badip_conn_event& r) {
  return {reinterpret_cast<const std::byte*>(&r), sizeof(r)};
}

}  // namespace

TEST_CASE("decode: each mode with the byte order it writes", "[probe][decode]") {
  struct Case {
    std::uint16_t mode;
    std::uint8_t flags;
    std::uint16_t lport_raw, rport_raw;
    AttachMode expect_mode;
  };
  // fentry and kprobe read struct sock: skc_num host order, skc_dport network
  // order. The tracepoint hands over both in host order.
  const Case cases[] = {
      {BADIP_MODE_FENTRY, BADIP_F_RPORT_NET, 443, htons(51234), AttachMode::Fentry},
      {BADIP_MODE_KPROBE, BADIP_F_RPORT_NET, 443, htons(51234), AttachMode::Kprobe},
      {BADIP_MODE_TRACEPOINT, 0, 443, 51234, AttachMode::Tracepoint},
      {BADIP_MODE_TRACEPOINT, BADIP_F_LPORT_NET | BADIP_F_RPORT_NET, htons(443), htons(51234),
       AttachMode::Tracepoint},
  };
  for (const auto& c : cases) {
    auto r = base_record(c.mode, c.flags, c.lport_raw, c.rport_raw);
    auto e = decode_event(bytes_of(r), kWallAtZero);
    REQUIRE(e.ok());
    CHECK(e->mode == c.expect_mode);
    CHECK(e->local_port == 443);
    CHECK(e->remote_port == 51234);
    CHECK(e->kind == EventKind::Close);
    CHECK(e->direction == Direction::In);
    CHECK(e->owner == Owner::Task);
    CHECK(e->local.to_string() == "192.0.2.1");
    CHECK(e->remote.to_string() == "203.0.113.66");
    CHECK(e->remote.is_v4());
    CHECK(e->pid == 812);
    CHECK(e->tgid == 800);
    CHECK(e->uid == 33);
    CHECK(e->cgroup_id == 42);
    CHECK(e->sock_id == 0xffff888012345678ULL);
    CHECK(e->comm_view() == "nginx");
    CHECK(e->bytes_received == 20000);
    CHECK(e->bytes_sent == 1234);
    CHECK(e->duration_ns == 12'345'678);
    CHECK(e->mono_ns == kMono);
    CHECK(e->wall_ns == 1796292000LL * 1'000'000'000 + 123'456'789);
  }
}

TEST_CASE("decode: open records carry no byte counts", "[probe][decode]") {
  auto r = base_record(BADIP_MODE_TRACEPOINT, 0, 443, 51234);
  r.hdr.kind = BADIP_EV_OPEN;
  auto e = decode_event(bytes_of(r), 0);
  REQUIRE(e.ok());
  CHECK(e->kind == EventKind::Open);
  CHECK(e->bytes_received == 0);
  CHECK(e->bytes_sent == 0);
  CHECK(e->duration_ns == 0);
}

TEST_CASE("decode: IPv6 and v4-mapped IPv6 addresses", "[probe][decode]") {
  auto r = base_record(BADIP_MODE_TRACEPOINT, 0, 22, 40000);
  r.family = 10;
  IpAddress l = *IpAddress::parse("2001:db8:1::1");
  IpAddress m = *IpAddress::parse("::ffff:203.0.113.66");  // v4 peer on a v6 socket
  std::memcpy(r.laddr, l.bytes().data(), 16);
  std::memcpy(r.raddr, m.bytes().data(), 16);
  auto e = decode_event(bytes_of(r), 0);
  REQUIRE(e.ok());
  CHECK(e->local.to_string() == "2001:db8:1::1");
  CHECK_FALSE(e->local.is_v4());
  CHECK(e->remote.is_v4());
  CHECK(e->remote.to_string() == "203.0.113.66");
}

TEST_CASE("decode: a full 16-byte comm stays 16 bytes", "[probe][decode]") {
  auto r = base_record(BADIP_MODE_TRACEPOINT, 0, 1, 2);
  std::memcpy(r.comm, "abcdefghijklmnop", 16);
  auto e = decode_event(bytes_of(r), 0);
  REQUIRE(e.ok());
  CHECK(e->comm_view() == "abcdefghijklmnop");
}

TEST_CASE("decode: malformed records are errors, not events", "[probe][decode]") {
  auto r = base_record(BADIP_MODE_TRACEPOINT, 0, 1, 2);
  auto raw = bytes_of(r);
  CHECK_FALSE(decode_event(raw.first(127), 0).ok());
  CHECK(decode_event(raw.first(127), 0).error().code == EINVAL);
  CHECK_FALSE(decode_event({}, 0).ok());

  auto bad_version = r;
  bad_version.hdr.version = 99;
  CHECK(decode_event(bytes_of(bad_version), 0).error().context == "event: unknown record version");
  auto bad_kind = r;
  bad_kind.hdr.kind = 3;
  CHECK_FALSE(decode_event(bytes_of(bad_kind), 0).ok());
  auto bad_dir = r;
  bad_dir.direction = 0;
  CHECK_FALSE(decode_event(bytes_of(bad_dir), 0).ok());
  auto bad_mode = r;
  bad_mode.hdr.mode = 0;
  CHECK_FALSE(decode_event(bytes_of(bad_mode), 0).ok());
  auto bad_owner = r;
  bad_owner.owner = 3;
  CHECK_FALSE(decode_event(bytes_of(bad_owner), 0).ok());

  // A longer record (a newer agent's padding) still decodes.
  std::vector<std::byte> longer(200);
  std::memcpy(longer.data(), &r, sizeof(r));
  CHECK(decode_event(longer, 0).ok());
}

TEST_CASE("formatting endpoints and times", "[probe][format]") {
  CHECK(format_endpoint(*IpAddress::parse("192.0.2.1"), 443) == "192.0.2.1:443");
  CHECK(format_endpoint(*IpAddress::parse("2001:db8::1"), 22) == "[2001:db8::1]:22");
  CHECK(format_endpoint(*IpAddress::parse("::ffff:198.51.100.7"), 80) == "198.51.100.7:80");
  CHECK(format_endpoint(*IpAddress::parse("::"), 0) == "[::]:0");
  CHECK(format_wall_time(0) == "1970-01-01T00:00:00.000000Z");
  CHECK(format_wall_time(1796292000LL * 1'000'000'000 + 123'456'789) ==
        "2026-12-03T10:00:00.123456Z");
  CHECK(format_wall_time(-1) == "1969-12-31T23:59:59.999999Z");
}

TEST_CASE("text line of an event", "[probe][format]") {
  auto r = base_record(BADIP_MODE_TRACEPOINT, 0, 443, 51234);
  auto e = *decode_event(bytes_of(r), kWallAtZero);
  CHECK(format_text(e) ==
        "2026-12-03T10:00:00.123456Z in  close nginx[800] 192.0.2.1:443 <- 203.0.113.66:51234 "
        "rx=20000 tx=1234 dur=12.346ms");
  e.kind = EventKind::Open;
  e.direction = Direction::Out;
  e.owner = Owner::Listener;
  CHECK(format_text(e) ==
        "2026-12-03T10:00:00.123456Z out open  nginx[800](listener) 192.0.2.1:443 -> "
        "203.0.113.66:51234");
  e.owner = Owner::Unknown;
  CHECK(format_text(e) ==
        "2026-12-03T10:00:00.123456Z out open  ?[?] 192.0.2.1:443 -> 203.0.113.66:51234");
}

TEST_CASE("JSON line of an event", "[probe][format]") {
  auto r = base_record(BADIP_MODE_KPROBE, BADIP_F_RPORT_NET, 443, htons(51234));
  std::memcpy(r.comm, "a\"b\\c\x01", 7);
  auto e = *decode_event(bytes_of(r), kWallAtZero);
  std::string line = format_json(e);
  CHECK(line ==
        "{\"ts\":\"2026-12-03T10:00:00.123456Z\",\"event\":\"close\",\"direction\":\"in\","
        "\"pid\":800,\"tid\":812,\"uid\":33,\"comm\":\"a\\\"b\\\\c\\u0001\","
        "\"local_addr\":\"192.0.2.1\",\"local_port\":443,\"remote_addr\":\"203.0.113.66\","
        "\"remote_port\":51234,\"bytes_received\":20000,\"bytes_sent\":1234,"
        "\"duration_ms\":12.346,\"owner\":\"task\",\"mode\":\"kprobe\","
        "\"sock_id\":18446612682375452280,\"cgroup_id\":42}");
  auto j = nlohmann::json::parse(line);
  CHECK(j["comm"] == "a\"b\\c\x01");
  CHECK(j["remote_port"] == 51234);
  CHECK(j["sock_id"].get<std::uint64_t>() == 0xffff888012345678ULL);
}

TEST_CASE("attach mode names", "[probe]") {
  CHECK(parse_attach_mode("auto").ok());
  CHECK_FALSE(parse_attach_mode("auto")->has_value());
  CHECK(**parse_attach_mode("fentry") == AttachMode::Fentry);
  CHECK(**parse_attach_mode("kprobe") == AttachMode::Kprobe);
  CHECK(**parse_attach_mode("tracepoint") == AttachMode::Tracepoint);
  CHECK(parse_attach_mode("xdp").error().message() ==
        "unknown attach mode 'xdp' (auto, fentry, kprobe, tracepoint)");
  CHECK(to_string(AttachMode::Tracepoint) == "tracepoint");
}

TEST_CASE("CIDR parsing and matching", "[probe][filter]") {
  auto net = Cidr::parse("203.0.113.0/24");
  REQUIRE(net.ok());
  CHECK(net->contains(*IpAddress::parse("203.0.113.66")));
  CHECK(net->contains(*IpAddress::parse("203.0.113.255")));
  CHECK(net->contains(*IpAddress::parse("::ffff:203.0.113.1")));
  CHECK_FALSE(net->contains(*IpAddress::parse("203.0.114.1")));
  CHECK_FALSE(net->contains(*IpAddress::parse("2001:db8::1")));

  auto host = Cidr::parse("192.0.2.1");
  REQUIRE(host.ok());
  CHECK(host->contains(*IpAddress::parse("192.0.2.1")));
  CHECK_FALSE(host->contains(*IpAddress::parse("192.0.2.2")));

  auto v6 = Cidr::parse("2001:db8::/32");
  REQUIRE(v6.ok());
  CHECK(v6->contains(*IpAddress::parse("2001:db8:2::66")));
  CHECK_FALSE(v6->contains(*IpAddress::parse("2001:db9::1")));
  CHECK_FALSE(v6->contains(*IpAddress::parse("203.0.113.66")));

  auto odd = Cidr::parse("198.51.100.0/23");  // not byte aligned
  REQUIRE(odd.ok());
  CHECK(odd->contains(*IpAddress::parse("198.51.101.9")));
  CHECK_FALSE(odd->contains(*IpAddress::parse("198.51.102.0")));
  CHECK_FALSE(Cidr::parse("198.51.100.0/21").ok());  // 100 has a bit below /21
  auto nibble = Cidr::parse("198.51.96.0/20");
  REQUIRE(nibble.ok());
  CHECK(nibble->contains(*IpAddress::parse("198.51.111.255")));
  CHECK_FALSE(nibble->contains(*IpAddress::parse("198.51.112.0")));

  auto all = Cidr::parse("0.0.0.0/0");
  REQUIRE(all.ok());
  CHECK(all->contains(*IpAddress::parse("192.0.2.1")));
  CHECK_FALSE(all->contains(*IpAddress::parse("2001:db8::1")));  // all IPv4, not IPv6

  CHECK_FALSE(Cidr::parse("203.0.113.0/33").ok());
  CHECK_FALSE(Cidr::parse("2001:db8::/129").ok());
  CHECK_FALSE(Cidr::parse("203.0.113.0/").ok());
  CHECK_FALSE(Cidr::parse("203.0.113.0/2x").ok());
  CHECK_FALSE(Cidr::parse("nonsense/8").ok());
  CHECK(Cidr::parse("203.0.113.1/24").error().context == "host bits set in CIDR '203.0.113.1/24'");
}

TEST_CASE("event filter", "[probe][filter]") {
  auto r = base_record(BADIP_MODE_TRACEPOINT, 0, 443, 51234);
  auto e = *decode_event(bytes_of(r), 0);
  EventFilter f;
  CHECK(f.matches(e));
  f.direction = Direction::Out;
  CHECK_FALSE(f.matches(e));
  f.direction = Direction::In;
  CHECK(f.matches(e));
  f.port = 443;
  CHECK(f.matches(e));
  f.port = 51234;  // remote port counts too
  CHECK(f.matches(e));
  f.port = 80;
  CHECK_FALSE(f.matches(e));
  f.port.reset();
  f.remote = *Cidr::parse("203.0.113.0/24");
  CHECK(f.matches(e));
  f.remote = *Cidr::parse("198.51.100.0/24");
  CHECK_FALSE(f.matches(e));
}
