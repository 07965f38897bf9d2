#pragma once
// Helpers for the probe's [kernel] tests: the attach mode to test (env
// BADIP_TEST_ATTACH_MODE), small blocking TCP peers with timeouts, and
// collecting events until a condition holds.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "probe/decode.h"
#include "probe/probe.h"

namespace badip::test {

// auto (unset or "auto"), fentry, kprobe or tracepoint. A bad value fails
// the test instead of silently testing auto.
inline std::string attach_mode_name() {
  const char* v = std::getenv("BADIP_TEST_ATTACH_MODE");
  return v && *v ? v : "auto";
}

inline std::optional<AttachMode> attach_mode_from_env() {
  auto m = parse_attach_mode(attach_mode_name());
  if (!m) std::abort();  // caught as a crash with the env shown in ctest output
  return *m;
}

inline ProbeOptions probe_options(bool include_loopback = false) {
  ProbeOptions o;
  o.mode = attach_mode_from_env();
  o.include_loopback = include_loopback;
  o.log = [](std::string_view) {};
  return o;
}

inline std::string own_comm() {
  std::ifstream f("/proc/thread-self/comm");
  std::string s;
  std::getline(f, s);
  return s;
}

struct Endpoint {
  int family = AF_INET;
  std::string addr;
  std::uint16_t port = 0;
};

inline socklen_t to_sockaddr(const Endpoint& ep, sockaddr_storage& ss) {
  std::memset(&ss, 0, sizeof(ss));
  if (ep.family == AF_INET) {
    auto* a = reinterpret_cast<sockaddr_in*>(&ss);
    a->sin_family = AF_INET;
    a->sin_port = htons(ep.port);
    inet_pton(AF_INET, ep.addr.c_str(), &a->sin_addr);
    return sizeof(*a);
  }
  auto* a = reinterpret_cast<sockaddr_in6*>(&ss);
  a->sin6_family = AF_INET6;
  a->sin6_port = htons(ep.port);
  inet_pton(AF_INET6, ep.addr.c_str(), &a->sin6_addr);
  return sizeof(*a);
}

// Binds `fd` to ep (port 0: any) and listens; returns the bound port or 0.
inline std::uint16_t bind_listen(int fd, Endpoint ep) {
  sockaddr_storage ss;
  socklen_t len = to_sockaddr(ep, ss);
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  if (bind(fd, reinterpret_cast<sockaddr*>(&ss), len) != 0 || listen(fd, 16) != 0) return 0;
  len = sizeof(ss);
  getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len);
  return ntohs(ep.family == AF_INET ? reinterpret_cast<sockaddr_in*>(&ss)->sin_port
                                    : reinterpret_cast<sockaddr_in6*>(&ss)->sin6_port);
}

inline int listen_on(Endpoint& ep) {
  int fd = socket(ep.family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  ep.port = bind_listen(fd, ep);
  if (ep.port == 0) {
    close(fd);
    return -1;
  }
  return fd;
}

// Connects from `fd` (or a new socket when fd < 0), sends n bytes, closes.
// Returns 0 or an errno value.
inline int connect_send_close(const Endpoint& to, std::size_t n, int fd = -1) {
  if (fd < 0) fd = socket(to.family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return errno;
  sockaddr_storage ss;
  socklen_t len = to_sockaddr(to, ss);
  if (connect(fd, reinterpret_cast<sockaddr*>(&ss), len) != 0) {
    int e = errno;
    close(fd);
    return e;
  }
  std::vector<char> buf(n, 'x');
  std::size_t sent = 0;
  while (sent < n) {
    ssize_t w = send(fd, buf.data() + sent, n - sent, MSG_NOSIGNAL);
    if (w <= 0) {
      int e = errno;
      close(fd);
      return e ? e : EPIPE;
    }
    sent += static_cast<std::size_t>(w);
  }
  // Orderly close after the peer saw everything: shut down writing, wait
  // for the peer's FIN, then close.
  shutdown(fd, SHUT_WR);
  pollfd p{fd, POLLIN, 0};
  char c;
  if (::poll(&p, 1, 10000) > 0) (void)recv(fd, &c, 1, 0);
  close(fd);
  return 0;
}

// Accepts one connection (waiting up to 10 s), reads until EOF, closes it.
// Returns the bytes read, or -1.
inline long accept_drain_close(int listen_fd) {
  pollfd p{listen_fd, POLLIN, 0};
  if (::poll(&p, 1, 10000) <= 0) return -1;
  int c = accept4(listen_fd, nullptr, nullptr, SOCK_CLOEXEC);
  if (c < 0) return -1;
  long total = 0;
  char buf[8192];
  for (;;) {
    pollfd q{c, POLLIN, 0};
    if (::poll(&q, 1, 10000) <= 0) {
      total = -1;
      break;
    }
    ssize_t r = recv(c, buf, sizeof(buf), 0);
    if (r <= 0) break;
    total += r;
  }
  close(c);
  return total;
}

// Polls the probe until `done(events)` holds or 10 s pass; returns what came.
inline std::vector<ConnEvent> collect_until(Probe& probe,
                                            const std::function<bool(const std::vector<ConnEvent>&)>& done,
                                            std::chrono::milliseconds limit = std::chrono::seconds(10)) {
  std::vector<ConnEvent> events;
  auto deadline = std::chrono::steady_clock::now() + limit;
  std::function<void(const ConnEvent&)> keep = [&](const ConnEvent& e) { events.push_back(e); };
  while (!done(events) && std::chrono::steady_clock::now() < deadline) {
    if (!probe.poll(100, keep)) break;
  }
  return events;
}

inline bool is_port(const ConnEvent& e, std::uint16_t local, Direction d) {
  return e.local_port == local && e.direction == d;
}

inline const ConnEvent* find(const std::vector<ConnEvent>& events,
                             const std::function<bool(const ConnEvent&)>& pred) {
  for (const auto& e : events)
    if (pred(e)) return &e;
  return nullptr;
}

}  // namespace badip::test
