// `badip ssh-log check`, run as the real binary (BADIP_BINARY) on a log that a
// real sshd 9.2 (Debian 12) wrote with -E at LogLevel VERBOSE in the lab
// (tests/sshd/data/openssh-9.2_sshd-E_verbose.log: 3 wrong passwords, 1 key login).
#include <stdio.h>
#include <sys/wait.h>

#include <sstream>
#include <string>
#include <vector>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

namespace {

const std::string kLog = std::string(BADIP_SOURCE_DIR) + "/tests/sshd/data/openssh-9.2_sshd-E_verbose.log";

struct Run {
  int status = -1;
  std::vector<std::string> lines;
};

// Runs a shell command line, collecting stdout by line.
Run run(const std::string& cmd) {
  Run r;
  FILE* p = ::popen(cmd.c_str(), "r");
  REQUIRE(p != nullptr);
  std::string out;
  char buf[4096];
  std::size_t n;
  while ((n = ::fread(buf, 1, sizeof(buf), p)) > 0) out.append(buf, n);
  int st = ::pclose(p);
  r.status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  std::istringstream in(out);
  std::string line;
  while (std::getline(in, line)) r.lines.push_back(line);
  return r;
}

}  // namespace

TEST_CASE("ssh-log check: each sshd line's outcome and the closing counts", "[sshd][cli]") {
  Run r = run(std::string(BADIP_BINARY) + " ssh-log check " + kLog);
  CHECK(r.status == 0);
  const std::string f = kLog + ":";
  const std::vector<std::string> want = {
      f + "1: not-auth (daemon)",
      f + "2: not-auth (connection)",
      f + "3: event failure method=password user=root address=203.0.113.66 port=58512 attempts=1 program=sshd (failed)",
      f + "4: event failure user=root address=203.0.113.66 port=58512 attempts=0 program=sshd (closed-authenticating)",
      f + "5: not-auth (connection)",
      f + "6: event failure method=password user=root address=203.0.113.66 port=58528 attempts=1 program=sshd (failed)",
      f + "7: event failure user=root address=203.0.113.66 port=58528 attempts=0 program=sshd (closed-authenticating)",
      f + "8: not-auth (connection)",
      f + "9: event failure method=password user=root address=203.0.113.66 port=58542 attempts=1 program=sshd (failed)",
      f + "10: event failure user=root address=203.0.113.66 port=58542 attempts=0 program=sshd (closed-authenticating)",
      f + "11: not-auth (connection)",
      f + "12: not-auth (key-lookup)",
      f + "13: not-auth (postponed)",
      f + "14: not-auth (key-lookup)",
      f + "15: event success method=publickey user=root address=203.0.113.66 port=58550 attempts=1 program=sshd (accepted)",
      f + "16: not-auth (session)",
      f + "17: not-auth (disconnect)",
      f + "18: not-auth (logout)",
      "lines=18 success=1 failure=6 invalid-user=0 preauth-abort=0 no-address=0 not-auth=11 "
      "other=0 unparsed=0 attempts=4",
  };
  CHECK(r.lines == want);
}

TEST_CASE("ssh-log check --json: one object per line, then the summary", "[sshd][cli]") {
  Run r = run(std::string(BADIP_BINARY) + " ssh-log check --json " + kLog);
  CHECK(r.status == 0);
  REQUIRE(r.lines.size() == 19);
  auto accepted = nlohmann::json::parse(r.lines[14]);
  CHECK(accepted["line"] == 15);
  CHECK(accepted["kind"] == "event");
  CHECK(accepted["result"] == "success");
  CHECK(accepted["method"] == "publickey");
  CHECK(accepted["user"] == "root");
  CHECK(accepted["address"] == "203.0.113.66");
  CHECK(accepted["port"] == 58550);
  CHECK(accepted["program"] == "sshd");
  CHECK(accepted["attempts"] == 1);
  CHECK(accepted["time"].is_null());  // -E lines carry no time
  auto summary = nlohmann::json::parse(r.lines[18])["summary"];
  CHECK(summary == nlohmann::json{{"lines", 18}, {"success", 1}, {"failure", 6},
                                  {"invalid_user", 0}, {"preauth_abort", 0}, {"no_address", 0},
                                  {"not_auth", 11}, {"other", 0}, {"unparsed", 0},
                                  {"attempts", 4}});
}

TEST_CASE("ssh-log check: stdin, syslog prefixes, unparsed lines and missing files", "[sshd][cli]") {
  Run r = run("printf '%s\\n' "
              "'Dec 10 06:55:46 LabSZ sshd[24200]: Invalid user web master from 173.234.31.186' "
              "'2024-07-03T14:59:17.5+02:00 host sshd-session[1571]: Accepted password for a b "
              "from 2001:db8::7 port 22 ssh2' "
              "'Dec 10 06:55:47 LabSZ CRON[1]: (root) CMD (true)' "
              "'sshd says something new' | " +
              std::string(BADIP_BINARY) + " ssh-log check --year 2015 -");
  CHECK(r.status == 1);  // a line was not understood
  CHECK(r.lines == std::vector<std::string>{
                       "<stdin>:1: event invalid-user user=\"web master\" invalid-user "
                       "address=173.234.31.186 attempts=0 program=sshd (invalid-user)",
                       "<stdin>:2: event success method=password user=\"a b\" address=2001:db8::7 "
                       "port=22 attempts=1 program=sshd-session (accepted)",
                       "<stdin>:4: unparsed: sshd says something new",
                       "lines=4 success=1 failure=0 invalid-user=1 preauth-abort=0 no-address=0 "
                       "not-auth=0 other=1 unparsed=1 attempts=1",
                   });

  Run missing = run(std::string(BADIP_BINARY) + " ssh-log check /nonexistent/auth.log 2>/dev/null");
  CHECK(missing.status == 2);
  CHECK(missing.lines == std::vector<std::string>{
                             "lines=0 success=0 failure=0 invalid-user=0 preauth-abort=0 "
                             "no-address=0 not-auth=0 other=0 unparsed=0 attempts=0"});
}
