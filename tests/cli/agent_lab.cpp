#include "cli/agent_lab.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <thread>

namespace badip::test {
namespace {

bool write_all(int fd, const char* p, std::size_t n) {
  while (n > 0) {
    ssize_t w = ::write(fd, p, n);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return false;
    p += w;
    n -= std::size_t(w);
  }
  return true;
}

void serve(int lfd) {
  for (;;) {
    int c = ::accept(lfd, nullptr, nullptr);
    if (c < 0) {
      if (errno == EINTR) continue;
      _exit(1);
    }
    std::string line;
    char ch;
    while (line.size() < 64 && ::read(c, &ch, 1) == 1 && ch != '\n') line += ch;
    if (line.rfind("GET ", 0) == 0) {
      std::size_t n = std::strtoull(line.c_str() + 4, nullptr, 10);
      std::string chunk(4096, 'x');
      while (n > 0) {
        std::size_t k = std::min(n, chunk.size());
        if (!write_all(c, chunk.data(), k)) break;
        n -= k;
      }
    }
    ::shutdown(c, SHUT_WR);
    char buf[4096];
    while (::read(c, buf, sizeof(buf)) > 0) {
    }
    ::close(c);
  }
}

}  // namespace

Result<std::unique_ptr<Listener>> Listener::start(const char* addr, std::uint16_t port, const char* comm) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return Error::from_errno("socket");
  int one = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(port);
  ::inet_pton(AF_INET, addr, &sa.sin_addr);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof(sa)) != 0 || ::listen(fd, 64) != 0) {
    Error e = Error::from_errno(std::string("listen on ") + addr + ":" + std::to_string(port));
    ::close(fd);
    return e;
  }
  // The child creates nothing: it owns the listening socket made here, and
  // renames itself so the accepting task is told apart from the test.
  pid_t pid = ::fork();
  if (pid < 0) {
    Error e = Error::from_errno("fork");
    ::close(fd);
    return e;
  }
  if (pid == 0) {
    ::prctl(PR_SET_NAME, comm, 0, 0, 0);
    ::prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
    serve(fd);
    _exit(0);
  }
  ::close(fd);
  std::unique_ptr<Listener> l(new Listener());
  l->pid_ = pid;
  return l;
}

Listener::~Listener() {
  if (pid_ > 0) {
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
  }
}

Result<std::uint64_t> attack(const Lab& lab, const char* addr, std::uint16_t port, int count,
                             const std::string& request) {
  std::uint64_t total = 0;
  for (int i = 0; i < count; ++i) {
    auto fd = lab.socket_in_ns(AF_INET, SOCK_STREAM);
    if (!fd) return fd.error();
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_port = htons(port);
    ::inet_pton(AF_INET, addr, &sa.sin_addr);
    timeval tv{5, 0};
    ::setsockopt(*fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    if (::connect(*fd, reinterpret_cast<sockaddr*>(&sa), sizeof(sa)) != 0) {
      Error e = Error::from_errno("connect from the lab");
      ::close(*fd);
      return e;
    }
    write_all(*fd, request.data(), request.size());
    char buf[8192];
    for (;;) {
      ssize_t r = ::read(*fd, buf, sizeof(buf));
      if (r <= 0) break;
      total += std::uint64_t(r);
    }
    ::close(*fd);
  }
  return total;
}

void align_to_window(std::chrono::seconds period, int lo, int hi) {
  using namespace std::chrono;
  auto deadline = steady_clock::now() + period + seconds(1);
  while (steady_clock::now() < deadline) {
    auto s = duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count() % (period.count() * 1000);
    if (s >= lo * 1000 && s < hi * 1000) return;
    std::this_thread::sleep_for(milliseconds(100));
  }
}

std::vector<nlohmann::json> read_alerts(const std::string& path) {
  std::vector<nlohmann::json> out;
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    auto j = nlohmann::json::parse(line, nullptr, false);
    if (!j.is_discarded()) out.push_back(std::move(j));
  }
  return out;
}

std::vector<nlohmann::json> wait_for_alert(const std::string& path, const std::string& kind,
                                           std::chrono::seconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    auto alerts = read_alerts(path);
    for (const auto& a : alerts)
      if (a.value("kind", "") == kind) return alerts;
    if (std::chrono::steady_clock::now() > deadline) return alerts;
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
}

const nlohmann::json* find_ip(const nlohmann::json& alert, const std::string& ip) {
  if (!alert.contains("bad_ips")) return nullptr;
  for (const auto& b : alert["bad_ips"])
    if (b.value("ip", "") == ip) return &b;
  return nullptr;
}

const nlohmann::json* find_entity(const nlohmann::json& bad_ip, const std::string& comm, int port) {
  if (!bad_ip.contains("entities")) return nullptr;
  for (const auto& e : bad_ip["entities"]) {
    if (e.value("port", -1) == port && e.contains("process") && e["process"].value("comm", "") == comm) return &e;
  }
  return nullptr;
}

}  // namespace badip::test
