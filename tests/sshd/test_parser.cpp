// The OpenSSH log parser against the real sample logs in ../shared/data/authlogs
// and against hand-written lines for each message shape.
#include <fstream>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "sshd/parser.h"

using badip::IpAddress;
using badip::LoginResult;
using badip::sshd::LineKind;
using badip::sshd::parse_line;
using badip::sshd::ParsedLine;

namespace {

struct Counts {
  std::uint64_t lines, success, failure, invalid_user, preauth_abort, no_address, not_auth, other,
      unparsed, attempts;
  bool operator==(const Counts&) const = default;
};

std::ostream& operator<<(std::ostream& os, const Counts& c) {
  return os << "{" << c.lines << ", " << c.success << ", " << c.failure << ", " << c.invalid_user
            << ", " << c.preauth_abort << ", " << c.no_address << ", " << c.not_auth << ", "
            << c.other << ", " << c.unparsed << ", " << c.attempts << "}";
}

Counts count_file(const std::string& path, std::vector<std::string>* unparsed_lines = nullptr) {
  std::ifstream in(path, std::ios::binary);
  REQUIRE(in.good());
  badip::sshd::ParseStats stats;
  std::uint64_t attempts = 0;
  std::string line;
  while (std::getline(in, line)) {
    ParsedLine p = parse_line(line, 2015);
    stats.count(p);
    if (p.kind == LineKind::Event) attempts += p.event.attempts;
    if (p.kind == LineKind::Unparsed && unparsed_lines) unparsed_lines->push_back(line);
  }
  return Counts{stats.lines.load(),    stats.success.load(),  stats.failure.load(),
                stats.invalid_user.load(), stats.preauth_abort.load(), stats.no_address.load(),
                stats.not_auth.load(), stats.other.load(),    stats.unparsed.load(),
                attempts};
}

ParsedLine one(std::string_view line) { return parse_line(line, 2024); }

IpAddress ip(const char* s) { return *IpAddress::parse(s); }

}  // namespace

// Expected counts per file: {lines, success, failure, invalid-user, preauth-abort (the
// four are Event lines by result), no-address, not-auth, other, unparsed, attempts}.
//
// How they were counted independently (grep -E; IP = ([0-9]{1,3}\.){3}[0-9]{1,3}):
// loghub_OpenSSH_2k.log (CRLF line ends, last line unterminated: grep -c '' = 2000):
//   success 1        = ': Accepted '
//   failure 1068     = 524 ': (\[ )?Failed (password|none) for .* from IP port'
//                    + 497 'authentication failures?; .*rhost=IP[[:space:]]*( user=[^ ]*)?[[:space:]]*$'
//                    + 47  'Received disconnect from .*(Auth fail|No more user authentication methods)'
//   invalid-user 113 = ': Invalid user .* from IP[[:space:]]*$'
//   preauth 464      = 420 'Received disconnect from IP: [0-9]+: (Bye Bye|Closed due to user request\.) \[preauth\]'
//                    + 34 'Connection closed by IP \[preauth\]' + 10 'Did not receive identification string'
//   no-address 259   = 113 'input_userauth_request: invalid user' + 135 'check pass; user unknown'
//                    + 7 rhost= holding a host name + 3 'Too many authentication failures'
//                    + 1 'fatal: Write failed'
//   not-auth 95      = 85 'POSSIBLE BREAK-IN' + 2 'session opened|session closed'
//                    + 7 'ignoring max retries' + 1 'disconnected by user'
//   attempts 529     = 518 ': Failed password' + 10 (two "message repeated 5 times" lines) + 1 Accepted
// loghub_Linux_2k_sshd_only.log: failure 300 = 'authentication failure; .*rhost=IP( |$)';
//   no-address 305 = 189 rhost= with a host name + 116 'check pass; user unknown';
//   not-auth 72 = 'session (opened|closed)'.
// fail2ban_*: other = grep -cE '^(#|[[:space:]]*$)' (fixture comments and blank lines);
//   the remaining lines were each read against the parser's verdict (`badip ssh-log check`),
//   with success = grep -c '^[^#].*Accepted '. fail2ban_selinux-ssh: the 11 audit records
//   with exe="/usr/sbin/sshd" are failures (res=failed) restating sshd's own lines.
// crowdsec/*: lines are few; per file: Invalid user lines = invalid-user, 'Accepted' =
//   success, 'Unable to negotiate'/'Timeout before'/'ssh_dispatch_run_fatal'/'banner
//   exchange'/'refused connect' = preauth-abort, kex_exchange_identification = no-address,
//   blank lines = other.
TEST_CASE("sample auth logs: exact counts by outcome", "[sshd][parser]") {
  const std::string dir = std::string(BADIP_SHARED_DIR) + "/data/authlogs/";
  const std::vector<std::pair<std::string, Counts>> expected = {
      {"loghub_OpenSSH_2k.log", {2000, 1, 1068, 113, 464, 259, 95, 0, 0, 529}},
      {"loghub_Linux_2k_sshd_only.log", {677, 0, 300, 0, 0, 305, 72, 0, 0, 0}},
      {"fail2ban_sshd.log", {417, 4, 72, 4, 26, 27, 22, 262, 0, 34}},
      {"fail2ban_sshd-journal.log", {348, 4, 64, 3, 18, 22, 18, 219, 0, 32}},
      {"fail2ban_selinux-ssh.log", {32, 0, 11, 0, 0, 0, 0, 21, 0, 0}},
      {"fail2ban_testcase02.log", {13, 4, 5, 0, 0, 1, 3, 0, 0, 9}},
      {"fail2ban_zzz-sshd-obsolete-multiline.log", {2, 0, 0, 0, 0, 0, 0, 2, 0, 0}},
      {"crowdsec/ssh-bf__ssh-bf.log", {7, 0, 0, 6, 0, 0, 0, 1, 0, 0}},
      {"crowdsec/ssh-slow-bf__ssh-slow-bf.log", {22, 0, 0, 22, 0, 0, 0, 0, 0, 0}},
      {"crowdsec/ssh-time-based-bf__ssh-time-based-bf.log", {15, 1, 0, 14, 0, 0, 0, 0, 0, 1}},
      {"crowdsec/ssh-timeout__ssh-timeout.log", {8, 0, 0, 0, 8, 0, 0, 0, 0, 0}},
      {"crowdsec/sshd-bad-keyexchange-bf__sshd-bad-keyexchange-bf.log", {19, 0, 0, 0, 19, 0, 0, 0, 0, 0}},
      {"crowdsec/sshd-impossible-travel__sshd-success-logs.log", {2, 2, 0, 0, 0, 0, 0, 0, 0, 2}},
      {"crowdsec/sshd-invalid-bf__sshd-invalid-bf.log", {6, 0, 6, 0, 0, 0, 0, 0, 0, 0}},
      {"crowdsec/sshd-logs__sshd-logs.log", {24, 0, 9, 4, 10, 0, 0, 0, 1, 1}},
      {"crowdsec/sshd-refused-conn__sshd-refused-conn.log", {1, 0, 0, 0, 1, 0, 0, 0, 0, 0}},
      {"crowdsec/sshd_banner_exchange__sshd_banner_exchange.log", {13, 0, 0, 0, 6, 6, 0, 1, 0, 0}},
  };
  for (const auto& [file, want] : expected) {
    INFO(file);
    std::vector<std::string> unparsed;
    CHECK(count_file(dir + file, &unparsed) == want);
    if (file == "crowdsec/sshd-logs__sshd-logs.log") {
      // CrowdSec's negative fixture: a made-up "totobad user" that no sshd writes.
      REQUIRE(unparsed.size() == 1);
      CHECK(unparsed[0] ==
            "Feb 19 10:38:14 myhost sshd[3355]: Disconnected from totobad user ftp "
            "92.255.85.135 port 26138 [preauth]");
    }
  }
}

TEST_CASE("accepted and failed, every field", "[sshd][parser]") {
  auto p = one("Sep  6 09:57:21 bullseye sshd[581]: Accepted publickey for vagrant from 1.2.3.4 "
               "port 56296 ssh2: RSA SHA256:1M4RzhMyWuFS/86uPY/ce2prh/dVTHW7iD2RhpquOZA");
  REQUIRE(p.kind == LineKind::Event);
  CHECK(p.rule == "accepted");
  CHECK(p.event.result == LoginResult::Success);
  CHECK(p.event.method == "publickey");
  CHECK(p.event.user == "vagrant");
  CHECK(p.event.address == ip("1.2.3.4"));
  CHECK(p.event.port == 56296);
  CHECK(p.event.program == "sshd");
  CHECK(p.event.pid == 581);
  CHECK(p.event.attempts == 1);
  CHECK_FALSE(p.event.invalid_user);
  CHECK(p.event.wall_ns == 1725616641LL * 1'000'000'000);  // 2024-09-06T09:57:21Z

  p = one("Jul  3 14:59:17 host sshd-session[1571]: Failed password for invalid user ROOT from "
          "2001:db8::80da:af6b:8b2c port 56502 ssh2 [preauth]");
  REQUIRE(p.kind == LineKind::Event);
  CHECK(p.event.result == LoginResult::Failure);
  CHECK(p.event.method == "password");
  CHECK(p.event.user == "ROOT");
  CHECK(p.event.invalid_user);
  CHECK(p.event.address == ip("2001:db8::80da:af6b:8b2c"));
  CHECK(p.event.port == 56502);
  CHECK(p.event.program == "sshd-session");
  CHECK(p.event.pid == 1571);

  // without a port, with a v4-mapped address
  p = one("Aug 14 11:52:00 i60p295 sshd[11437]: Failed password for illegal user test123 from "
          "::ffff:66.38.192.238");
  REQUIRE(p.kind == LineKind::Event);
  CHECK(p.event.address == ip("66.38.192.238"));
  CHECK_FALSE(p.event.port);
  CHECK(p.event.user == "test123");

  p = one("Aug 14 11:57:01 i60p295 sshd[12365]: Accepted keyboard-interactive/pam for roehl from "
          "::ffff:141.3.81.106 port 51332 ssh2");
  CHECK(p.event.method == "keyboard-interactive/pam");
  CHECK(p.event.result == LoginResult::Success);
  p = one("Aug 14 11:57:01 h sshd[1]: Accepted gssapi-with-mic for alice from 198.51.100.7 port 4 ssh2");
  CHECK(p.event.method == "gssapi-with-mic");
  CHECK(p.event.result == LoginResult::Success);
}

TEST_CASE("user names with spaces or addresses never move the blame", "[sshd][parser]") {
  auto p = one("Nov 11 08:04:52 redbamboo sshd[2737]: Failed password for invalid user test from "
               "10.10.1.2 port 55555 ssh2 from 127.0.0.1 port 58946 ssh2");
  REQUIRE(p.kind == LineKind::Event);
  CHECK(p.event.address == ip("127.0.0.1"));
  CHECK(p.event.port == 58946);
  CHECK(p.event.user == "test from 10.10.1.2 port 55555 ssh2");

  p = one("Failed password for a b: from 198.51.100.1 port 1 ssh2: x from 203.0.113.9 port 2222 ssh2");
  CHECK(p.event.address == ip("203.0.113.9"));
  CHECK(p.event.user == "a b: from 198.51.100.1 port 1 ssh2: x");

  p = one("Dec 22 14:53:37 h sshd[4177]: Connection closed by authenticating user x 192.0.2.9 port "
          "1 203.0.113.5 port 45362 [preauth]");
  CHECK(p.event.address == ip("203.0.113.5"));
  CHECK(p.event.user == "x 192.0.2.9 port 1");

  // ssh1-era lines append client text after "port N ssh1"; the complete form wins.
  p = one("Sep 29 17:15:02 spaceman sshd[12946]: Failed password for user from 127.0.0.1 port "
          "20000 ssh1: ruser from 1.2.3.4");
  CHECK(p.event.address == ip("127.0.0.1"));

  // empty user names
  p = one("Jun  6 04:17:04 host sshd[1189074]: Invalid user  from 192.0.2.68 port 34916");
  REQUIRE(p.kind == LineKind::Event);
  CHECK(p.event.result == LoginResult::InvalidUser);
  CHECK(p.event.user == "");
  p = one("Jun  6 04:17:09 host sshd[1189074]: Connection closed by invalid user  192.0.2.68 port "
          "34916 [preauth]");
  CHECK(p.event.result == LoginResult::Failure);
  CHECK(p.event.invalid_user);
  CHECK(p.event.user == "");
  CHECK(p.event.address == ip("192.0.2.68"));
}

TEST_CASE("bare sshd -E lines, journal, ISO and RFC 5424 prefixes", "[sshd][parser]") {
  auto p = one("Failed password for root from 203.0.113.66 port 40000 ssh2");
  REQUIRE(p.kind == LineKind::Event);
  CHECK(p.event.program == "sshd");
  CHECK(p.event.pid == 0);
  CHECK(p.event.wall_ns == 0);

  p = one("error: maximum authentication attempts exceeded for root from 203.0.113.66 port 4 ssh2 [preauth]");
  REQUIRE(p.kind == LineKind::Event);
  CHECK(p.rule == "max-attempts");
  CHECK(p.event.attempts == 0);

  p = one("srv sshd[28732]: Invalid user ftp from 192.0.2.1 port 37220");
  REQUIRE(p.kind == LineKind::Event);
  CHECK(p.event.pid == 28732);
  CHECK(p.event.result == LoginResult::InvalidUser);

  p = one("2023-11-14T00:20:42.738197+01:00 myserver sshd[1112652]: User root from 192.168.1.1 "
          "not allowed because not listed in AllowUsers");
  REQUIRE(p.kind == LineKind::Event);
  CHECK(p.rule == "user-not-allowed");
  CHECK(p.event.user == "root");
  CHECK(p.event.wall_ns == 1699917642738197000LL);  // 2023-11-13T23:20:42.738197Z

  p = one("<38>1 2019-07-08T17:40:17.954167-04:00 hostname.example.com sshd 55555 - [timeQuality "
          "tzKnown=\"1\" isSynced=\"0\"][xxx@123 test=\"[brackets]\"] Failed unknown for invalid "
          "user redmond from 192.0.2.2 port 55555 ssh2");
  REQUIRE(p.kind == LineKind::Event);
  CHECK(p.event.pid == 55555);
  CHECK(p.event.user == "redmond");
  CHECK(p.event.method == "unknown");
  CHECK(p.event.wall_ns == 1562622017954167000LL);  // 2019-07-08T21:40:17.954167Z

  // another program's line, a comment and a blank line are not sshd lines
  CHECK(one("Dec 10 06:55:46 LabSZ CRON[24200]: pam_unix(cron:session): session opened").kind ==
        LineKind::Other);
  CHECK(one("# failJSON: { }").kind == LineKind::Other);
  CHECK(one("   ").kind == LineKind::Other);
  // a bare line nobody understands
  CHECK(one("something odd happened").kind == LineKind::Unparsed);
}

TEST_CASE("pre-auth aborts, PAM, and normal logouts", "[sshd][parser]") {
  struct Case {
    const char* line;
    LineKind kind;
    LoginResult result;
    const char* rule;
  };
  const Case cases[] = {
      {"Dec 10 09:32:20 LabSZ sshd[24680]: Did not receive identification string from 5.36.59.76",
       LineKind::Event, LoginResult::PreauthAbort, "no-identification"},
      {"Dec  1 18:59:33 h sshd[1189573]: banner exchange: Connection from 59.91.122.57 port 34388: "
       "invalid format",
       LineKind::Event, LoginResult::PreauthAbort, "banner-exchange"},
      {"Dec  1 18:59:33 h sshd[1189575]: error: kex_exchange_identification: banner line too long",
       LineKind::NoAddress, LoginResult::PreauthAbort, "key-exchange"},
      {"Jun  7 04:07:10 s sshd[1941162]: Unable to negotiate with 206.189.59.169 port 34386: no "
       "matching host key type found. Their offer: ssh-rsa,ssh-dss [preauth]",
       LineKind::Event, LoginResult::PreauthAbort, "key-exchange"},
      {"Dec 10 06:55:48 LabSZ sshd[24200]: pam_unix(sshd:auth): authentication failure; logname= "
       "uid=0 euid=0 tty=ssh ruser= rhost=173.234.31.186  user=root",
       LineKind::Event, LoginResult::Failure, "pam-failure"},
      {"Dec 10 06:55:48 LabSZ sshd[24200]: Disconnecting: Too many authentication failures for "
       "root [preauth]",
       LineKind::NoAddress, LoginResult::Failure, "too-many-failures"},
      {"Feb 19 10:38:14 myhost sshd[3355]: Disconnected from authenticating user ftp "
       "92.255.85.135 port 26138 [preauth]",
       LineKind::Event, LoginResult::Failure, "closed-authenticating"},
      {"Feb 8 17:15:01 h sshd[1478159]: Connection reset by authenticating user root 80.94.92.63 "
       "port 49115 [preauth]",
       LineKind::Event, LoginResult::Failure, "closed-authenticating"},
      {"Disconnected from user root 203.0.113.66 port 40000", LineKind::NotAuth,
       LoginResult::Failure, "logout"},
      {"Dec 10 09:12:33 LabSZ sshd[24501]: pam_unix(sshd:session): session closed for user fztu",
       LineKind::NotAuth, LoginResult::Failure, "session"},
      {"Dec 10 09:32:20 LabSZ sshd[24680]: Received disconnect from 5.36.59.76: 11: disconnected "
       "by user",
       LineKind::NotAuth, LoginResult::Failure, "disconnect"},
      {"Postponed publickey for root from 203.0.113.66 port 40000 ssh2 [preauth]",
       LineKind::NotAuth, LoginResult::Failure, "postponed"},
      {"Connection from 203.0.113.66 port 40000 on 192.0.2.1 port 2222 rdomain \"\"",
       LineKind::NotAuth, LoginResult::Failure, "connection"},
  };
  for (const auto& c : cases) {
    INFO(c.line);
    auto p = one(c.line);
    CHECK(p.kind == c.kind);
    CHECK(p.rule == c.rule);
    if (c.kind == LineKind::Event || c.kind == LineKind::NoAddress) {
      CHECK(p.event.result == c.result);
      CHECK(p.event.attempts == 0);
    }
  }
}

TEST_CASE("syslog repeats count as that many attempts", "[sshd][parser]") {
  auto p = one("Dec 10 07:27:55 LabSZ sshd[24237]: message repeated 5 times: [ Failed password "
               "for root from 112.95.230.3 port 45378 ssh2]");
  REQUIRE(p.kind == LineKind::Event);
  CHECK(p.event.attempts == 5);
  CHECK(p.event.user == "root");
  CHECK(p.event.port == 45378);
  // "Failed none" is the client asking which methods exist: no attempt
  p = one("Dec 10 07:02:47 LabSZ sshd[24203]: Failed none for invalid user admin from "
          "103.99.0.122 port 58309 ssh2");
  CHECK(p.event.attempts == 0);
  CHECK(p.rule == "failed-none");
}

TEST_CASE("stats counter form", "[sshd][parser]") {
  badip::sshd::ParseStats stats;
  CHECK(parse_line("Accepted password for a from 192.0.2.5 port 1 ssh2", stats, 2024));
  CHECK_FALSE(parse_line("Dec 10 06:55:46 h sshd[1]: Server listening on 0.0.0.0 port 22.", stats, 2024));
  CHECK_FALSE(parse_line("zzz", stats, 2024));
  CHECK(stats.lines == 3);
  CHECK(stats.success == 1);
  CHECK(stats.not_auth == 1);
  CHECK(stats.unparsed == 1);
}

// Cut lines (a reader that sees half a line, a writer that died mid-line)
// and cut-off prefixes: always some kind, never a crash. Run under
// BADIP_SANITIZE for the memory side.
TEST_CASE("every prefix and suffix of the sample lines is handled", "[sshd][parser]") {
  std::ifstream in(std::string(BADIP_SHARED_DIR) + "/data/authlogs/fail2ban_sshd.log");
  REQUIRE(in.good());
  std::string line;
  std::uint64_t parsed = 0;
  badip::sshd::ParseStats stats;
  while (std::getline(in, line)) {
    std::string_view v(line);
    for (std::size_t i = 0; i <= v.size(); ++i) {
      stats.count(parse_line(v.substr(0, i), 2015));
      stats.count(parse_line(v.substr(i), 2015));
      parsed += 2;
    }
  }
  CHECK(stats.lines == parsed);
  CHECK(stats.success + stats.failure + stats.invalid_user + stats.preauth_abort +
            stats.no_address + stats.not_auth + stats.other + stats.unparsed ==
        parsed);
}
