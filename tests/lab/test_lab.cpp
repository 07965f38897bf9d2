#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include "lab/lab.h"

using badip::test::Lab;
using badip::test::run_command;

TEST_CASE("run_command captures output and exit code", "[lab]") {
  auto r = run_command({"sh", "-c", "echo out; echo err >&2; exit 3"});
  CHECK(r.exit_code == 3);
  CHECK_FALSE(r.timed_out);
  CHECK(r.out == "out\n");
  CHECK(r.err == "err\n");
}

TEST_CASE("run_command kills a command past its timeout", "[lab]") {
  auto r = run_command({"sleep", "30"}, std::chrono::milliseconds(100));
  CHECK(r.timed_out);
  CHECK(r.exit_code == 128 + 9);
}

TEST_CASE("run_command reports a missing program", "[lab]") {
  auto r = run_command({"/nonexistent/badip-no-such-program"});
  CHECK(r.exit_code == 127);
}

namespace {
bool netns_exists(const std::string& name) {
  return access(("/var/run/netns/" + name).c_str(), F_OK) == 0;
}

// A TCP connection from the namespace to a root-namespace listener on the
// lab's root address; returns the peer address the server sees.
std::string peer_seen_by_root_server(const Lab& lab, int family) {
  sockaddr_storage ss{};
  socklen_t len;
  if (family == AF_INET) {
    auto* a = reinterpret_cast<sockaddr_in*>(&ss);
    a->sin_family = AF_INET;
    inet_pton(AF_INET, Lab::kRootV4, &a->sin_addr);
    len = sizeof(*a);
  } else {
    auto* a = reinterpret_cast<sockaddr_in6*>(&ss);
    a->sin6_family = AF_INET6;
    inet_pton(AF_INET6, Lab::kRootV6, &a->sin6_addr);
    len = sizeof(*a);
  }
  int srv = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (srv < 0) return "socket failed";
  std::string result = "setup failed";
  auto* sa = reinterpret_cast<sockaddr*>(&ss);
  if (bind(srv, sa, len) == 0 && listen(srv, 4) == 0 && getsockname(srv, sa, &len) == 0) {
    auto cli = lab.socket_in_ns(family, SOCK_STREAM);
    if (cli.ok()) {
      if (connect(*cli, sa, len) == 0) {
        sockaddr_storage peer{};
        socklen_t plen = sizeof(peer);
        int conn = accept(srv, reinterpret_cast<sockaddr*>(&peer), &plen);
        if (conn >= 0) {
          char text[INET6_ADDRSTRLEN] = {};
          if (family == AF_INET)
            inet_ntop(AF_INET, &reinterpret_cast<sockaddr_in*>(&peer)->sin_addr, text, sizeof(text));
          else
            inet_ntop(AF_INET6, &reinterpret_cast<sockaddr_in6*>(&peer)->sin6_addr, text, sizeof(text));
          result = text;
          close(conn);
        }
      } else {
        result = "connect failed";
      }
      close(*cli);
    }
  }
  close(srv);
  return result;
}
}  // namespace

TEST_CASE("lab namespace talks to the root namespace over the veth only", "[kernel][lab]") {
  std::string ns;
  {
    auto lab = Lab::create();
    REQUIRE(lab.ok());
    ns = (*lab)->netns();
    CHECK(ns == "badiplab-" + std::to_string(getpid()));
    CHECK(netns_exists(ns));

    CHECK(peer_seen_by_root_server(**lab, AF_INET) == Lab::kNsV4);
    CHECK(peer_seen_by_root_server(**lab, AF_INET6) == Lab::kNsV6);

    // A forked child runs inside the namespace under its own name.
    pid_t c = (*lab)->fork_in_ns([] {
      char name[16] = {};
      FILE* f = fopen("/proc/self/comm", "r");
      if (!f || !fgets(name, sizeof(name), f)) return 1;
      fclose(f);
      return std::string(name) == "labclient\n" ? 0 : 2;
    }, "labclient");
    CHECK(badip::test::wait_child(c, std::chrono::seconds(10)) == 0);
  }
  CHECK_FALSE(netns_exists(ns));
}
