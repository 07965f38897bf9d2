// LogFollower and AuthLogSource over temp files, driven explicitly (no sleeps):
// append, partial lines, rename rotation, copytruncate, restart from a saved position.
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "sshd/auth_log_source.h"
#include "sshd/follower.h"
#include "sshd/ssh_log_input.h"

using badip::sshd::AuthLogSource;
using badip::sshd::FilePosition;
using badip::sshd::LogFollower;
using Lines = std::vector<std::string>;

namespace {

struct TempDir {
  std::string path;
  TempDir() {
    std::string t = (std::filesystem::temp_directory_path() / "badip-follow-XXXXXX").string();
    REQUIRE(::mkdtemp(t.data()) != nullptr);
    path = t;
  }
  ~TempDir() { std::filesystem::remove_all(path); }
  std::string file(const char* name) const { return path + "/" + name; }
};

// A writer that keeps its descriptor, like syslog does until it is told to reopen.
struct Writer {
  int fd;
  explicit Writer(const std::string& p) : fd(::open(p.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600)) {
    REQUIRE(fd >= 0);
  }
  ~Writer() { ::close(fd); }
  void put(std::string_view s) { REQUIRE(::write(fd, s.data(), s.size()) == ssize_t(s.size())); }
};

Lines poll(LogFollower& f) {
  auto r = f.poll();
  REQUIRE(r.ok());
  return *r;
}

LogFollower open_follower(const std::string& path, std::optional<FilePosition> resume = std::nullopt,
                          LogFollower::StartAt at = LogFollower::StartAt::Beginning) {
  auto f = LogFollower::open(path, resume, at);
  REQUIRE(f.ok());
  return std::move(*f);
}

}  // namespace

TEST_CASE("follower: a file that appears later, appends and partial lines", "[sshd][follower]") {
  TempDir dir;
  auto path = dir.file("auth.log");
  auto f = open_follower(path);
  CHECK(poll(f).empty());
  CHECK(f.watch_fd() >= 0);

  Writer w(path);
  w.put("one\ntwo\nthr");
  CHECK(poll(f) == Lines{"one", "two"});
  CHECK(f.position().offset == 8);  // the partial "thr" is not consumed yet
  CHECK(poll(f).empty());
  w.put("ee\r\nfour\n");
  CHECK(poll(f) == Lines{"three\r", "four"});
  CHECK(f.position().offset == 20);
  CHECK(poll(f).empty());
  CHECK(f.stats().lines == 4);
  CHECK(f.stats().bytes == 20);
}

TEST_CASE("follower: StartAt::End skips history but not a line being written", "[sshd][follower]") {
  TempDir dir;
  auto path = dir.file("auth.log");
  Writer w(path);
  w.put("old 1\nold 2\nhalf");
  auto f = open_follower(path, std::nullopt, LogFollower::StartAt::End);
  CHECK(poll(f).empty());
  w.put(" done\nnew\n");
  CHECK(poll(f) == Lines{"half done", "new"});
}

TEST_CASE("follower: rotation by rename finishes the old file first", "[sshd][follower]") {
  TempDir dir;
  auto path = dir.file("auth.log");
  auto f = open_follower(path);
  auto old_writer = std::make_unique<Writer>(path);
  old_writer->put("a1\na2\n");
  CHECK(poll(f) == Lines{"a1", "a2"});

  old_writer->put("a3\n");
  REQUIRE(::rename(path.c_str(), (path + ".1").c_str()) == 0);
  old_writer->put("a4\nunterminated");  // still writing to the renamed file
  Writer new_writer(path);
  new_writer.put("b1\nb2\n");
  CHECK(poll(f) == Lines{"a3", "a4", "unterminated", "b1", "b2"});
  CHECK(f.stats().rotations == 1);
  struct stat st {};
  REQUIRE(::stat(path.c_str(), &st) == 0);
  CHECK(f.position().inode == st.st_ino);
  CHECK(f.position().offset == 6);
  CHECK(poll(f).empty());
  new_writer.put("b3\n");
  CHECK(poll(f) == Lines{"b3"});
}

TEST_CASE("follower: copytruncate restarts at 0", "[sshd][follower]") {
  TempDir dir;
  auto path = dir.file("auth.log");
  Writer w(path);  // O_APPEND, as copytruncate requires of writers
  w.put("Dec 10 06:55:46 first line\nDec 10 06:55:47 second line\n");
  auto f = open_follower(path);
  CHECK(poll(f).size() == 2);

  SECTION("shrunk") {
    REQUIRE(::truncate(path.c_str(), 0) == 0);
    w.put("Dec 11 00:00:00 new\n");
    CHECK(poll(f) == Lines{"Dec 11 00:00:00 new"});
  }
  SECTION("refilled past the old offset before we looked") {
    REQUIRE(::truncate(path.c_str(), 0) == 0);
    w.put("Dec 11 00:00:01 a much longer first line of the new file\nDec 11 00:00:02 b\n");
    CHECK(poll(f) == Lines{"Dec 11 00:00:01 a much longer first line of the new file",
                           "Dec 11 00:00:02 b"});
  }
  CHECK(f.stats().truncations == 1);
  CHECK(f.stats().rotations == 0);
  w.put("Dec 11 00:00:03 c\n");
  CHECK(poll(f) == Lines{"Dec 11 00:00:03 c"});
}

TEST_CASE("follower: restart from a saved position", "[sshd][follower]") {
  TempDir dir;
  auto path = dir.file("auth.log");
  Writer w(path);
  w.put("l1\nl2\npart");
  FilePosition saved;
  {
    auto f = open_follower(path);
    CHECK(poll(f) == Lines{"l1", "l2"});
    saved = f.position();
  }
  auto text = saved.to_string();
  auto parsed = FilePosition::parse(text);
  REQUIRE(parsed);
  CHECK(*parsed == saved);
  CHECK_FALSE(FilePosition::parse("1:2:3"));
  CHECK_FALSE(FilePosition::parse("1:2:3:4:5:6"));

  SECTION("same file, more lines") {
    w.put("ial\nl4\n");
    auto f = open_follower(path, *parsed);
    CHECK(poll(f) == Lines{"partial", "l4"});
  }
  SECTION("rotated while we were down: the rest of .1, then the new file") {
    w.put("ial\n");
    REQUIRE(::rename(path.c_str(), (path + ".1").c_str()) == 0);
    Writer nw(path);
    nw.put("n1\n");
    auto f = open_follower(path, *parsed);
    CHECK(poll(f) == Lines{"partial", "n1"});
    CHECK(poll(f).empty());
  }
  SECTION("another file now at the path (inode reused, head differs): read from 0") {
    REQUIRE(::unlink(path.c_str()) == 0);
    Writer nw(path);
    nw.put("x1\nx2\n");
    FilePosition other = *parsed;
    struct stat st {};
    REQUIRE(::stat(path.c_str(), &st) == 0);
    other.inode = st.st_ino;  // as if the number had been reused
    auto f = open_follower(path, other);
    CHECK(poll(f) == Lines{"x1", "x2"});
  }
}

TEST_CASE("auth log source: events, counters, year from the injected clock", "[sshd][follower]") {
  TempDir dir;
  auto path = dir.file("auth.log");
  Writer w(path);
  badip::sshd::ParseStats stats;
  // 2025-01-01T00:00:10Z: a "Dec 31" line belongs to 2024.
  std::int64_t now = 1735689610LL * 1'000'000'000;
  auto src = AuthLogSource::open(path, std::nullopt, LogFollower::StartAt::Beginning,
                                 [&] { return now; }, stats);
  REQUIRE(src.ok());
  w.put("Dec 31 23:59:58 h sshd[7]: Failed password for root from 203.0.113.66 port 5 ssh2\n"
        "Jan  1 00:00:05 h sshd[7]: Accepted publickey for root from 203.0.113.66 port 6 ssh2: "
        "ED25519 SHA256:x\n"
        "Jan  1 00:00:06 h sshd[7]: pam_unix(sshd:session): session opened for user root\n"
        "Jan  1 00:00:07 h kernel: unrelated\n");
  auto ev = src->poll();
  REQUIRE(ev.ok());
  REQUIRE(ev->size() == 2);
  CHECK((*ev)[0].wall_ns == 1735689598LL * 1'000'000'000);  // 2024-12-31T23:59:58Z
  CHECK((*ev)[0].result == badip::LoginResult::Failure);
  CHECK((*ev)[1].wall_ns == 1735689605LL * 1'000'000'000);  // 2025-01-01T00:00:05Z
  CHECK((*ev)[1].result == badip::LoginResult::Success);
  CHECK((*ev)[1].method == "publickey");
  CHECK(stats.lines == 4);
  CHECK(stats.failure == 1);
  CHECK(stats.success == 1);
  CHECK(stats.not_auth == 1);
  CHECK(stats.other == 1);
  CHECK(src->position().offset == 301);
}

TEST_CASE("ssh log input: a file spec, state string round trip", "[sshd][follower]") {
  TempDir dir;
  auto path = dir.file("secure");
  Writer w(path);
  w.put("Failed password for root from 203.0.113.66 port 1 ssh2\n");  // history: skipped
  badip::sshd::ParseStats stats;
  auto now = [] { return std::int64_t{1735689610LL * 1'000'000'000}; };
  std::string state;
  {
    auto in = badip::sshd::SshLogInput::open(path, "", now, stats);
    REQUIRE(in.ok());
    CHECK_FALSE(in->is_journal());
    CHECK(in->poll()->empty());
    w.put("Failed password for root from 203.0.113.66 port 2 ssh2\n");
    auto ev = in->poll();
    REQUIRE(ev->size() == 1);
    CHECK((*ev)[0].port == 2);
    state = in->state();
  }
  CHECK(state.rfind("file:", 0) == 0);
  w.put("Accepted publickey for root from 203.0.113.66 port 3 ssh2\n");
  auto in = badip::sshd::SshLogInput::open(path, state, now, stats);
  REQUIRE(in.ok());
  auto ev = in->poll();
  REQUIRE(ev->size() == 1);
  CHECK((*ev)[0].port == 3);
  CHECK(stats.failure == 1);
  CHECK(stats.success == 1);
}
