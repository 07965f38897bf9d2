// The probe against the real kernel, with peers in a lab namespace. Root only.
// BADIP_TEST_ATTACH_MODE=auto|fentry|kprobe|tracepoint picks the mode.
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>

#include <catch2/catch.hpp>

#include "kernel_util.h"
#include "lab/lab.h"

using namespace badip;
using namespace badip::test;

namespace {

std::unique_ptr<Probe> open_probe(bool include_loopback = false) {
  auto probe = Probe::open(probe_options(include_loopback));
  INFO("Probe::open: " << (probe ? std::string("ok") : probe.error().message()));
  REQUIRE(probe.ok());
  auto forced = attach_mode_from_env();
  if (forced) CHECK((*probe)->mode() == *forced);
  return std::move(*probe);
}

// A plain child process (root namespace) named `comm`.
pid_t fork_named(const std::function<int()>& fn, const char* comm) {
  pid_t pid = fork();
  if (pid != 0) return pid;
  prctl(PR_SET_NAME, comm, 0, 0, 0);
  _exit(fn());
}

bool is(const ConnEvent& e, EventKind k, Direction d, std::uint16_t local_port) {
  return e.kind == k && e.direction == d && e.local_port == local_port;
}

std::size_t count(const std::vector<ConnEvent>& events, EventKind k, Direction d,
                  std::uint16_t local_port) {
  std::size_t n = 0;
  for (const auto& e : events) n += is(e, k, d, local_port);
  return n;
}

// Server in the root namespace, client in the lab sending 20000 bytes.
void inbound_case(int family, const char* server_addr, const char* client_addr) {
  auto lab = Lab::create();
  INFO("Lab::create: " << (lab ? std::string("ok") : lab.error().message()));
  REQUIRE(lab.ok());
  auto probe = open_probe();

  Endpoint srv{family, server_addr, 0};
  int lfd = listen_on(srv);
  REQUIRE(lfd >= 0);
  pid_t client = (*lab)->fork_in_ns([&] { return connect_send_close(srv, 20000); }, "labclient");
  REQUIRE(client > 0);
  CHECK(accept_drain_close(lfd) == 20000);
  CHECK(wait_child(client, std::chrono::seconds(10)) == 0);
  close(lfd);

  auto events = collect_until(*probe, [&](const std::vector<ConnEvent>& ev) {
    return count(ev, EventKind::Close, Direction::In, srv.port) == 1 &&
           find(ev, [&](const ConnEvent& e) {
             return e.kind == EventKind::Close && e.direction == Direction::Out &&
                    e.remote_port == srv.port;
           });
  });

  CHECK(count(events, EventKind::Open, Direction::In, srv.port) == 1);
  CHECK(count(events, EventKind::Close, Direction::In, srv.port) == 1);
  auto* open_in = find(events, [&](const ConnEvent& e) { return is(e, EventKind::Open, Direction::In, srv.port); });
  auto* close_in = find(events, [&](const ConnEvent& e) { return is(e, EventKind::Close, Direction::In, srv.port); });
  REQUIRE(open_in);
  REQUIRE(close_in);
  CHECK(open_in->remote.to_string() == client_addr);
  CHECK(open_in->local.to_string() == server_addr);
  CHECK(open_in->owner == Owner::Task);
  CHECK(open_in->tgid == static_cast<std::uint32_t>(getpid()));
  CHECK(open_in->comm_view() == own_comm());
  CHECK(open_in->uid == 0);
  CHECK(open_in->remote_port != 0);
  CHECK(close_in->sock_id == open_in->sock_id);
  CHECK(close_in->remote.to_string() == client_addr);
  CHECK(close_in->remote_port == open_in->remote_port);
  CHECK(close_in->bytes_received == 20000);
  CHECK(close_in->bytes_sent == 0);
  CHECK(close_in->tgid == static_cast<std::uint32_t>(getpid()));
  CHECK(close_in->duration_ns > 0);

  // The client's side, seen across the namespace: its own identity.
  auto* open_out = find(events, [&](const ConnEvent& e) {
    return e.kind == EventKind::Open && e.direction == Direction::Out && e.remote_port == srv.port;
  });
  auto* close_out = find(events, [&](const ConnEvent& e) {
    return e.kind == EventKind::Close && e.direction == Direction::Out && e.remote_port == srv.port;
  });
  REQUIRE(open_out);
  REQUIRE(close_out);
  CHECK(open_out->tgid == static_cast<std::uint32_t>(client));
  CHECK(open_out->comm_view() == "labclient");
  CHECK(open_out->remote.to_string() == server_addr);
  CHECK(open_out->local.to_string() == client_addr);
  CHECK(open_out->local_port == open_in->remote_port);
  CHECK(close_out->bytes_sent == 20000);
  CHECK(close_out->bytes_received == 0);
  CHECK(probe->dropped() == 0);
}

// Client in the root namespace (this process), server in the lab.
void outbound_case(int family, const char* server_addr, const char* client_addr) {
  auto lab = Lab::create();
  INFO("Lab::create: " << (lab ? std::string("ok") : lab.error().message()));
  REQUIRE(lab.ok());
  auto probe = open_probe();

  auto lfd = (*lab)->socket_in_ns(family, SOCK_STREAM);
  REQUIRE(lfd.ok());
  Endpoint srv{family, server_addr, 0};
  srv.port = bind_listen(*lfd, srv);
  REQUIRE(srv.port != 0);
  int fd = *lfd;
  pid_t server = (*lab)->fork_in_ns([fd] { return accept_drain_close(fd) == 1234 ? 0 : 1; }, "labserver");
  REQUIRE(server > 0);
  CHECK(connect_send_close(srv, 1234) == 0);
  CHECK(wait_child(server, std::chrono::seconds(10)) == 0);
  close(fd);

  auto is_out = [&](const ConnEvent& e, EventKind k) {
    return e.kind == k && e.direction == Direction::Out && e.remote_port == srv.port &&
           e.remote.to_string() == server_addr;
  };
  auto events = collect_until(*probe, [&](const std::vector<ConnEvent>& ev) {
    return find(ev, [&](const ConnEvent& e) { return is_out(e, EventKind::Close); }) &&
           count(ev, EventKind::Close, Direction::In, srv.port) == 1;
  });
  auto* open_out = find(events, [&](const ConnEvent& e) { return is_out(e, EventKind::Open); });
  auto* close_out = find(events, [&](const ConnEvent& e) { return is_out(e, EventKind::Close); });
  REQUIRE(open_out);
  REQUIRE(close_out);
  CHECK(open_out->owner == Owner::Task);
  CHECK(open_out->tgid == static_cast<std::uint32_t>(getpid()));
  CHECK(open_out->pid == static_cast<std::uint32_t>(gettid()));
  CHECK(open_out->comm_view() == own_comm());
  CHECK(open_out->local.to_string() == client_addr);
  CHECK(open_out->local_port != 0);
  CHECK(close_out->sock_id == open_out->sock_id);
  CHECK(close_out->local_port == open_out->local_port);
  CHECK(close_out->bytes_sent == 1234);
  CHECK(close_out->bytes_received == 0);

  // The lab server accepted it: attributed to the server process.
  auto* open_in = find(events, [&](const ConnEvent& e) { return is(e, EventKind::Open, Direction::In, srv.port); });
  REQUIRE(open_in);
  CHECK(open_in->tgid == static_cast<std::uint32_t>(server));
  CHECK(open_in->comm_view() == "labserver");
  CHECK(open_in->owner == Owner::Task);
  CHECK(open_in->remote.to_string() == client_addr);
}

}  // namespace

TEST_CASE("inbound IPv4 connection: accepting server, 20000 bytes", "[kernel][probe]") {
  inbound_case(AF_INET, Lab::kRootV4, Lab::kNsV4);
}

TEST_CASE("inbound IPv6 connection: accepting server, 20000 bytes", "[kernel][probe]") {
  inbound_case(AF_INET6, Lab::kRootV6, Lab::kNsV6);
}

TEST_CASE("outbound IPv4 connection: the connecting process", "[kernel][probe]") {
  outbound_case(AF_INET, Lab::kNsV4, Lab::kRootV4);
}

TEST_CASE("outbound IPv6 connection: the connecting process", "[kernel][probe]") {
  outbound_case(AF_INET6, Lab::kNsV6, Lab::kRootV6);
}

TEST_CASE("IPv4 peer on a dual-stack IPv6 listener is reported as IPv4", "[kernel][probe]") {
  auto lab = Lab::create();
  REQUIRE(lab.ok());
  auto probe = open_probe();
  Endpoint any6{AF_INET6, "::", 0};
  int lfd = listen_on(any6);  // IPV6_V6ONLY off by default: takes IPv4 too
  REQUIRE(lfd >= 0);
  Endpoint to{AF_INET, Lab::kRootV4, any6.port};
  pid_t client = (*lab)->fork_in_ns([&] { return connect_send_close(to, 10); }, "labclient");
  CHECK(accept_drain_close(lfd) == 10);
  CHECK(wait_child(client, std::chrono::seconds(10)) == 0);
  close(lfd);
  auto events = collect_until(*probe, [&](const std::vector<ConnEvent>& ev) {
    return count(ev, EventKind::Close, Direction::In, any6.port) == 1;
  });
  auto* close_in = find(events, [&](const ConnEvent& e) { return is(e, EventKind::Close, Direction::In, any6.port); });
  REQUIRE(close_in);
  CHECK(close_in->remote.is_v4());
  CHECK(close_in->remote.to_string() == Lab::kNsV4);
  CHECK(close_in->local.to_string() == Lab::kRootV4);
  CHECK(close_in->bytes_received == 10);
}

TEST_CASE("loopback is skipped in the kernel unless included", "[kernel][probe]") {
  auto lab = Lab::create();
  REQUIRE(lab.ok());
  auto loop_once = [](int family, const char* addr) {
    Endpoint lo{family, addr, 0};
    int lfd = listen_on(lo);
    if (lfd < 0) return std::uint16_t{0};
    pid_t c = fork_named([&] { return connect_send_close(lo, 100); }, "loopclient");
    long got = accept_drain_close(lfd);
    int rc = wait_child(c, std::chrono::seconds(10));
    close(lfd);
    return got == 100 && rc == 0 ? lo.port : std::uint16_t{0};
  };
  auto has_port = [](const std::vector<ConnEvent>& ev, std::uint16_t port) {
    return find(ev, [&](const ConnEvent& e) { return e.local_port == port || e.remote_port == port; });
  };

  {
    auto probe = open_probe(false);
    std::uint16_t p4 = loop_once(AF_INET, "127.0.0.1");
    std::uint16_t p6 = loop_once(AF_INET6, "::1");
    REQUIRE(p4 != 0);
    REQUIRE(p6 != 0);
    // A lab connection after them: once its close arrives, the loopback
    // records (had there been any) were in the ring buffer before it.
    Endpoint srv{AF_INET, Lab::kRootV4, 0};
    int lfd = listen_on(srv);
    pid_t client = (*lab)->fork_in_ns([&] { return connect_send_close(srv, 1); }, "labclient");
    CHECK(accept_drain_close(lfd) == 1);
    CHECK(wait_child(client, std::chrono::seconds(10)) == 0);
    close(lfd);
    auto events = collect_until(*probe, [&](const std::vector<ConnEvent>& ev) {
      return count(ev, EventKind::Close, Direction::In, srv.port) == 1;
    });
    CHECK(count(events, EventKind::Close, Direction::In, srv.port) == 1);
    CHECK_FALSE(has_port(events, p4));
    CHECK_FALSE(has_port(events, p6));
  }
  {
    auto probe = open_probe(true);
    std::uint16_t p4 = loop_once(AF_INET, "127.0.0.1");
    std::uint16_t p6 = loop_once(AF_INET6, "::1");
    REQUIRE(p4 != 0);
    REQUIRE(p6 != 0);
    auto events = collect_until(*probe, [&](const std::vector<ConnEvent>& ev) {
      return count(ev, EventKind::Close, Direction::In, p4) == 1 &&
             count(ev, EventKind::Close, Direction::In, p6) == 1;
    });
    auto* c4 = find(events, [&](const ConnEvent& e) { return is(e, EventKind::Close, Direction::In, p4); });
    auto* c6 = find(events, [&](const ConnEvent& e) { return is(e, EventKind::Close, Direction::In, p6); });
    REQUIRE(c4);
    REQUIRE(c6);
    CHECK(c4->remote.to_string() == "127.0.0.1");
    CHECK(c4->bytes_received == 100);
    CHECK(c6->remote.to_string() == "::1");
    CHECK(c6->bytes_received == 100);
    CHECK(count(events, EventKind::Open, Direction::Out, 0) == 0);  // local ports are bound
    auto* o4 = find(events, [&](const ConnEvent& e) {
      return e.kind == EventKind::Open && e.direction == Direction::Out && e.remote_port == p4;
    });
    REQUIRE(o4);
    CHECK(o4->comm_view() == "loopclient");
  }
}

TEST_CASE("a listener that never accepts: the owner, never the client", "[kernel][probe]") {
  auto lab = Lab::create();
  REQUIRE(lab.ok());
  auto probe = open_probe();
  Endpoint srv{AF_INET, Lab::kRootV4, 0};
  int lfd = listen_on(srv);  // after the probe: it sees listen() happen
  REQUIRE(lfd >= 0);
  pid_t client = (*lab)->fork_in_ns(
      [&] {
        int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        sockaddr_storage ss;
        socklen_t len = to_sockaddr(srv, ss);
        if (connect(fd, reinterpret_cast<sockaddr*>(&ss), len) != 0) return 1;
        if (send(fd, "0123456789", 10, MSG_NOSIGNAL) != 10) return 2;
        close(fd);
        return 0;
      },
      "labclient");
  CHECK(wait_child(client, std::chrono::seconds(10)) == 0);
  // Closing the listener disconnects the connection waiting in its queue.
  close(lfd);
  auto events = collect_until(*probe, [&](const std::vector<ConnEvent>& ev) {
    return count(ev, EventKind::Close, Direction::In, srv.port) == 1;
  });
  auto* open_in = find(events, [&](const ConnEvent& e) { return is(e, EventKind::Open, Direction::In, srv.port); });
  auto* close_in = find(events, [&](const ConnEvent& e) { return is(e, EventKind::Close, Direction::In, srv.port); });
  REQUIRE(open_in);
  REQUIRE(close_in);
  CHECK(open_in->remote.to_string() == Lab::kNsV4);
  // Never the client's identity (the softirq may well have run in it).
  CHECK(open_in->tgid != static_cast<std::uint32_t>(client));
  CHECK(open_in->comm_view() != "labclient");
  CHECK(open_in->owner != Owner::Task);
  if (open_in->owner == Owner::Listener) {
    CHECK(open_in->tgid == static_cast<std::uint32_t>(getpid()));
    CHECK(open_in->comm_view() == own_comm());
  } else {
    CHECK(open_in->pid == 0);
    CHECK(open_in->comm_view().empty());
  }
  CHECK(close_in->owner == open_in->owner);
  CHECK(close_in->bytes_received == 10);
}

TEST_CASE("probe reports its attach attempts", "[kernel][probe]") {
  auto probe = open_probe();
  const auto& attempts = probe->attempts();
  REQUIRE_FALSE(attempts.empty());
  CHECK(attempts.back() == std::string(to_string(probe->mode())) + ": attached");
  CHECK(probe->dropped() == 0);
  CHECK(probe->fd() >= 0);
}
