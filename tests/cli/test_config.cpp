// `badip run --config FILE`: keys are the flag names; the command line wins;
// an unknown key or a bad value is a one-line error before anything loads.
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
