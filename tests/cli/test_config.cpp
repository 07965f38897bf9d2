// `badip run --config FILE`: keys are the flag names; the command line wins;
// an unknown key or a bad value is a one-line error before anything loads.
#include <filesystem>
#include <fstream>
#include <string>

#include <catch2/catch.hpp>

#include "lab/lab.h"
#include "summary/helpers.h"

using badip::summary::test::TempDir;
using badip::test::run_command;

namespace {

std::string write(const TempDir& d, const std::string& name, const std::string& text) {
  std::string p = d.str() + "/" + name;
  std::ofstream(p) << text;
  return p;
}

}  // namespace

TEST_CASE("run --config: an unknown key names the file and the key", "[config]") {
  TempDir d;
  auto cfg = write(d, "c.toml", "window = \"10s\"\nbogus = 1\n");
  auto r = run_command({BADIP_BINARY, "run", "--config", cfg});
  CHECK(r.exit_code == 2);
  CHECK(r.err == "badip: " + cfg + ": 'bogus' is not an option of badip run\n");
}

TEST_CASE("run --config: values are applied as if given as flags", "[config]") {
  TempDir d;
  auto feed = write(d, "feed.txt", "203.0.113.66\n");
  auto cfg = write(d, "c.toml", "feed = [\"lab=" + feed + "\"]\nwindow = \"abc\"\n");
  auto r = run_command({BADIP_BINARY, "run", "--config", cfg, "--state-dir", d.str() + "/state"});
  CHECK(r.exit_code == 2);
  CHECK(r.err == "badip run: --window: 'abc' is not a period such as 10s, 15m, 1h or 24h\n");
}

TEST_CASE("run --config: the command line wins over the file", "[config]") {
  TempDir d;
  auto feed = write(d, "feed.txt", "203.0.113.66\n");
  auto cfg = write(d, "c.toml",
                   "feed = [\"lab=" + feed + "\"]\nwindow = \"abc\"\npublic-service = [\"nginx:notaport\"]\n");
  auto r = run_command({BADIP_BINARY, "run", "--config", cfg, "--window", "10s"});
  CHECK(r.exit_code == 2);
  CHECK(r.err == "badip run: --public-service: 'nginx:notaport' is not NAME, NAME:PORT or :PORT\n");
}

TEST_CASE("run: a missing feed file is named before anything is loaded", "[config]") {
  TempDir d;
  auto r = run_command({BADIP_BINARY, "run", "--feed", "lab=" + d.str() + "/missing.txt", "--state-dir",
                        d.str() + "/state", "--metrics-address", "off"});
  CHECK(r.exit_code == 2);
  CHECK(r.err.find(d.str() + "/missing.txt") != std::string::npos);
  CHECK(r.err.find("attached") == std::string::npos);
}

TEST_CASE("run: bad values are one-line errors before anything loads", "[config]") {
  TempDir d;
  auto feed = write(d, "feed.txt", "203.0.113.66\n");
  auto allow = write(d, "allow.txt", "192.0.2.0/24\n192.0.2.1/33\n");
  std::filesystem::create_directories(d.str() + "/adir");
  auto run = [&](std::vector<std::string> extra) {
    std::vector<std::string> argv{BADIP_BINARY, "run", "--feed", feed, "--state-dir", d.str() + "/state"};
    argv.insert(argv.end(), extra.begin(), extra.end());
    return run_command(argv);
  };
  auto r = run({"--allowlist", allow, "--metrics-address", "off"});
  CHECK(r.exit_code == 2);
  CHECK(r.err.find("badip run: allowlist " + allow + ":2: prefix length out of range '192.0.2.1/33'\n") !=
        std::string::npos);
  r = run({"--ringbuf-kib", "3"});
  CHECK(r.err == "badip run: --ringbuf-kib: 3 is outside 64..1048576 (64 KiB to 1 GiB)\n");
  r = run({"--metrics-address", "127.0.0.1:99999"});
  CHECK(r.err == "badip run: --metrics-address 127.0.0.1:99999: '99999' is not a port (0..65535)\n");
  r = run({"--ssh-log", d.str() + "/adir"});
  CHECK(r.err == "badip run: --ssh-log " + d.str() + "/adir: is a directory, not a log file\n");
  r = run({"--feed", "dir=" + d.str() + "/adir", "--metrics-address", "off"});
  CHECK(r.exit_code == 2);
  CHECK(r.err.find(d.str() + "/adir: is a directory, not a feed file\n") != std::string::npos);
}

TEST_CASE("feeds check and lookup refuse what cannot be a feed", "[config]") {
  TempDir d;
  std::filesystem::create_directories(d.str() + "/adir");
  auto r = run_command({BADIP_BINARY, "feeds", "check", d.str() + "/adir"});
  CHECK(r.exit_code == 2);
  CHECK(r.out.find(d.str() + "/adir: is a directory, not a feed file") != std::string::npos);
  r = run_command({BADIP_BINARY, "lookup", "203.0.113.66"});
  CHECK(r.exit_code == 2);
  CHECK(r.err == "badip: lookup: no feed given (--feed PATH or NAME=PATH)\n");
}

TEST_CASE("ssh-log check never passes control bytes of a log line to the terminal", "[config]") {
  TempDir d;
  auto log = write(d, "auth.log", "garbage \x1b[2J\x07 end\n");
  auto r = run_command({BADIP_BINARY, "ssh-log", "check", log});
  CHECK(r.out.find(log + ":1: unparsed: garbage \\x1b[2J\\x07 end\n") == 0);
}
