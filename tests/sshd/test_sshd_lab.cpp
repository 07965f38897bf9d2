// A real OpenSSH server in the lab, its -E log followed by AuthLogSource:
// 3 logins with a wrong password and 1 with an authorized key, from the
// attacker namespace (203.0.113.66), become exactly 3 failures and 1 success.
#include <unistd.h>

#include <chrono>
#include <thread>
#include <vector>

#include <catch2/catch.hpp>

#include "sshd/auth_log_source.h"
#include "sshd_lab.h"

using badip::LoginResult;
using badip::sshd::AuthLogSource;
using badip::sshd::LogFollower;
using namespace std::chrono_literals;

TEST_CASE("real sshd: wrong passwords fail, the authorized key succeeds", "[kernel][sshd]") {
  REQUIRE(::geteuid() == 0);
  auto lab = badip::test::Lab::create();
  if (!lab.ok()) FAIL(lab.error().message());
  auto sshd = badip::test::SshdLab::start(**lab);
  if (!sshd.ok()) FAIL(sshd.error().message());

  badip::sshd::ParseStats stats;
  auto now = [] {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
  };
  auto src = AuthLogSource::open((*sshd)->log_path(), std::nullopt,
                                 LogFollower::StartAt::Beginning, now, stats);
  REQUIRE(src.ok());

  for (int i = 0; i < 3; ++i) {
    auto r = (*sshd)->login_with_password("not-the-password-" + std::to_string(i));
    INFO(r.err);
    CHECK(r.exit_code != 0);
    CHECK_FALSE(r.timed_out);
  }
  auto ok = (*sshd)->login_with_key("true");
  INFO(ok.err);
  CHECK(ok.exit_code == 0);

  // sshd writes its log lines before it answers the client, but its session
  // lines may trail the client's exit: gather (bounded) until the end of the
  // key login's session is logged.
  std::vector<badip::LoginEvent> events;
  auto deadline = std::chrono::steady_clock::now() + 10s;
  while (std::chrono::steady_clock::now() < deadline) {
    auto got = src->poll();
    REQUIRE(got.ok());
    events.insert(events.end(), got->begin(), got->end());
    std::uint32_t attempts = 0;
    for (const auto& e : events) attempts += e.attempts;
    if (attempts >= 4) break;
    std::this_thread::sleep_for(20ms);
  }

  std::uint32_t attempts = 0, failures = 0, successes = 0;
  for (const auto& e : events) {
    INFO("result " << int(e.result) << " method " << e.method << " user " << e.user);
    CHECK(e.address.to_string() == badip::test::Lab::kNsV4);
    CHECK(e.user == "root");
    CHECK(e.program == "sshd");
    attempts += e.attempts;
    if (e.attempts == 0) continue;
    if (e.result == LoginResult::Success) {
      ++successes;
      CHECK(e.method == "publickey");
    } else {
      CHECK(e.result == LoginResult::Failure);
      CHECK(e.method == "password");
      failures += e.attempts;
    }
    CHECK(e.port.has_value());
  }
  CHECK(events.size() == 7);  // 3 failed, 3 closed while authenticating, 1 accepted
  CHECK(attempts == 4);
  CHECK(failures == 3);
  CHECK(successes == 1);
  CHECK(stats.unparsed == 0);
  CHECK(stats.success == 1);
}
