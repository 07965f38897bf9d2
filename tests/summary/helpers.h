#pragma once
// Shared builders for the summary tests.
#include <unistd.h>

#include <filesystem>
#include <string>
#include <vector>

#include "summary/aggregator.h"

namespace badip::summary::test {

constexpr std::int64_t kSec = 1'000'000'000;
// 2026-12-03T00:00:00Z
constexpr std::int64_t kDay0 = 1'796'256'000LL * kSec;

inline IpAddress ip(const char* s) { return *IpAddress::parse(s); }

inline enrich::ProcessInfo proc(std::uint32_t pid, std::string comm, std::string exe, std::string user = "root") {
  enrich::ProcessInfo p;
  p.pid = pid;
  p.comm = std::move(comm);
  p.exe = std::move(exe);
  p.user = std::move(user);
  p.cmdline = p.exe;
  p.from_proc = true;
  return p;
}

inline std::vector<FeedHit> lab_feed() {
  return {FeedHit{"lab", "attacker", 90, "203.0.113.0/24", {{"source", "test"}}}};
}

inline Finding open_in(const enrich::ProcessInfo* p, const std::vector<FeedHit>& feeds, const char* remote,
                       std::uint16_t lport, std::uint64_t sock, std::int64_t t) {
  Finding f;
  f.kind = EventKind::Open;
  f.direction = Direction::In;
  f.wall_ns = t;
  f.sock_id = sock;
  f.remote = ip(remote);
  f.remote_port = 40000;
  f.local = ip("192.0.2.1");
  f.local_port = lport;
  f.process = p;
  f.feeds = feeds;
  return f;
}

inline Finding close_of(Finding f, std::uint64_t in, std::uint64_t out, std::int64_t t) {
  f.kind = EventKind::Close;
  f.wall_ns = t;
  f.bytes_received = in;
  f.bytes_sent = out;
  return f;
}

// A fresh directory under /tmp, removed at scope exit (also on failure).
class TempDir {
 public:
  TempDir() {
    static int n = 0;
    path_ = std::filesystem::temp_directory_path() /
            ("badip-test-" + std::to_string(getpid()) + "-" + std::to_string(n++));
    std::filesystem::remove_all(path_);
    std::filesystem::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  std::string str() const { return path_.string(); }

 private:
  std::filesystem::path path_;
};

}  // namespace badip::summary::test
