// `badip lookup` and `badip feeds check` run as the real binary.
#include <sys/wait.h>

#include <cstdio>

#include <catch2/catch.hpp>

#include "test_util.h"

using badip::intel::test::TempDir;

namespace {

struct Run {
  int code;
  std::string out;
};

Run run(const std::string& args) {
  std::string cmd = std::string(BADIP_BINARY) + " " + args + " 2>/dev/null";
  FILE* p = popen(cmd.c_str(), "r");
  REQUIRE(p);
  std::string out;
  char buf[4096];
  std::size_t n;
  while ((n = fread(buf, 1, sizeof(buf), p)) > 0) out.append(buf, n);
  int st = pclose(p);
  return {WIFEXITED(st) ? WEXITSTATUS(st) : -1, out};
}

}  // namespace

TEST_CASE("cli: lookup prints every listing feed and exits 1", "[intel]") {
  TempDir d;
  auto drop = d.file("drop.txt", "; Spamhaus DROP\n203.0.113.0/24 ; SBL7\n");
  auto list = d.file("list.txt", "203.0.113.9\n");
  auto r = run("lookup --feed spamhaus=" + drop + " --feed-category spamhaus=hijacked --feed-confidence spamhaus=90 "
               "--feed mine=" + list + " 203.0.113.9 198.51.100.1");
  CHECK(r.code == 1);
  CHECK(r.out ==
        "203.0.113.9 listed feed=mine category=malicious confidence=50 prefix=203.0.113.9\n"
        "203.0.113.9 listed feed=spamhaus category=hijacked confidence=90 prefix=203.0.113.0/24 sbl=SBL7\n"
        "198.51.100.1 not listed\n");
}

TEST_CASE("cli: lookup exits 0 when nothing is listed, 2 on a bad address or feed", "[intel]") {
  TempDir d;
  auto list = d.file("list.txt", "203.0.113.9\n");
  auto allow = d.file("allow.txt", "203.0.113.9\n");
  CHECK(run("lookup --feed " + list + " 198.51.100.1").code == 0);
  auto al = run("lookup --feed " + list + " --allowlist " + allow + " 203.0.113.9");
  CHECK(al.code == 0);
  CHECK(al.out == "203.0.113.9 not listed\n");
  CHECK(run("lookup --feed " + list + " 010.1.1.1").code == 2);
  CHECK(run("lookup --feed /nonexistent/x.txt 203.0.113.9").code == 2);
}

TEST_CASE("cli: lookup --json", "[intel]") {
  TempDir d;
  auto list = d.file("list.txt", "198.51.100.0/24\n");
  auto r = run("lookup --json --feed bl=" + list + " ::ffff:198.51.100.4");
  CHECK(r.code == 1);
  CHECK(r.out == R"([
  {
    "address": "198.51.100.4",
    "listed": true,
    "matches": [
      {
        "category": "malicious",
        "confidence": 50,
        "feed": "bl",
        "meta": {},
        "prefix": "198.51.100.0/24",
        "source": ")" + list + R"("
      }
    ]
  }
]
)");
}

TEST_CASE("cli: feeds check reports counts, warnings and rejected lines", "[intel]") {
  TempDir d;
  auto f = d.file("mixed.txt", "192.0.2.1\n192.0.2.77/24\n010.1.1.1\n2001:db8::/32\n2001:db8::5\n");
  auto r = run("feeds check " + f);
  CHECK(r.code == 0);
  CHECK(r.out == f + ": format=plain entries=4 ipv4_hosts=1 ipv4_prefixes=1 ipv6_hosts=1 ipv6_prefixes=1 warnings=1 rejected=1\n"
                     "warning: " + f + ":2: host bits set, normalised to 192.0.2.0/24\n" +
                     f + ":3: octet with leading zero is ambiguous '010.1.1.1'\n");
}

TEST_CASE("cli: feeds check on real samples, empty and unrecognised files", "[intel]") {
  std::string dir = badip::intel::test::feeds_dir();
  auto r = run("feeds check " + dir + "spamhaus/dropv6.txt " + dir + "firehol/2021_sslbl.ipset");
  CHECK(r.code == 0);
  CHECK(r.out == dir + "spamhaus/dropv6.txt: format=spamhaus-drop entries=78 ipv4_hosts=0 ipv4_prefixes=0 "
                       "ipv6_hosts=0 ipv6_prefixes=78 warnings=0 rejected=0\n" +
                     dir + "firehol/2021_sslbl.ipset: format=firehol entries=0 ipv4_hosts=0 ipv4_prefixes=0 "
                           "ipv6_hosts=0 ipv6_prefixes=0 warnings=1 rejected=0\n"
                           "warning: " + dir + "firehol/2021_sslbl.ipset: no entries (valid but empty firehol file)\n");
  auto bad = run("feeds check " + dir + "suricata_iprep/sv_iprep-07_categories.txt /nonexistent/f.txt");
  CHECK(bad.code == 2);
  CHECK(bad.out == dir + "suricata_iprep/sv_iprep-07_categories.txt: error: " + dir +
                       "suricata_iprep/sv_iprep-07_categories.txt: unrecognised format (tried plain, firehol, "
                       "spamhaus-drop, spamhaus-json, csv, zeek, iprep, stix, misp, alienvault, dshield, otx)\n"
                       "/nonexistent/f.txt: error: /nonexistent/f.txt: cannot open: No such file or directory\n");
}

TEST_CASE("cli: feeds check --json", "[intel]") {
  TempDir d;
  auto f = d.file("a.txt", "198.51.100.1\n");
  auto r = run("feeds check --json " + f);
  CHECK(r.code == 0);
  CHECK(r.out == "[\n  {\n    \"duplicates\": 0,\n    \"entries\": 1,\n    \"file\": \"" + f +
                     "\",\n    \"format\": \"plain\",\n    \"ipv4_hosts\": 1,\n    \"ipv4_prefixes\": 0,\n"
                     "    \"ipv6_hosts\": 0,\n    \"ipv6_prefixes\": 0,\n    \"ok\": true,\n    \"rejected\": [],\n"
                     "    \"skipped\": 0,\n    \"warnings\": []\n  }\n]\n");
}
