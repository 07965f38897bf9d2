#include <cstddef>

#include <catch2/catch.hpp>

#include "badip/event.h"

// The BPF side compiles the same header; these offsets are what the ring
// buffer carries, so a change here is an ABI change.
TEST_CASE("shared event layout", "[abi]") {
  CHECK(sizeof(badip_conn_event) == 128);
  CHECK(offsetof(badip_conn_event, hdr) == 0);
  CHECK(offsetof(badip_event_hdr, ts_ns) == 0);
  CHECK(offsetof(badip_event_hdr, kind) == 8);
  CHECK(offsetof(badip_event_hdr, version) == 10);
  CHECK(offsetof(badip_event_hdr, size) == 12);
  CHECK(offsetof(badip_event_hdr, mode) == 14);
  CHECK(offsetof(badip_conn_event, sock_id) == 16);
  CHECK(offsetof(badip_conn_event, bytes_received) == 24);
  CHECK(offsetof(badip_conn_event, bytes_acked) == 32);
  CHECK(offsetof(badip_conn_event, duration_ns) == 40);
  CHECK(offsetof(badip_conn_event, cgroup_id) == 48);
  CHECK(offsetof(badip_conn_event, laddr) == 56);
  CHECK(offsetof(badip_conn_event, raddr) == 72);
  CHECK(offsetof(badip_conn_event, pid) == 88);
  CHECK(offsetof(badip_conn_event, tgid) == 92);
  CHECK(offsetof(badip_conn_event, uid) == 96);
  CHECK(offsetof(badip_conn_event, lport) == 100);
  CHECK(offsetof(badip_conn_event, rport) == 102);
  CHECK(offsetof(badip_conn_event, family) == 104);
  CHECK(offsetof(badip_conn_event, direction) == 106);
  CHECK(offsetof(badip_conn_event, owner) == 107);
  CHECK(offsetof(badip_conn_event, flags) == 108);
  CHECK(offsetof(badip_conn_event, comm) == 112);
}
