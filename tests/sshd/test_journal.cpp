// JournalSource over real journal files: entries are written in journal export
// format and turned into a journal file by systemd-journal-remote (Debian's
// systemd-journal-remote package), then read back through sd-journal.
#include <stdlib.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "sshd/journal_source.h"

using badip::LoginResult;
using badip::sshd::JournalLocation;
using badip::sshd::JournalSource;

namespace {

constexpr const char* kJournalRemote = "/lib/systemd/systemd-journal-remote";

struct TempDir {
  std::string path;
  TempDir() {
    std::string t = (std::filesystem::temp_directory_path() / "badip-journal-XXXXXX").string();
    REQUIRE(::mkdtemp(t.data()) != nullptr);
    path = t;
  }
  ~TempDir() { std::filesystem::remove_all(path); }
};

struct Entry {
  std::int64_t realtime_us;
  std::vector<std::string> fields;  // "NAME=value"
};

// Appends entries to DIR/sshd.journal (systemd-journal-remote appends to an
// existing output file).
void write_journal(const TempDir& dir, const std::vector<Entry>& entries) {
  static int batch = 0;
  std::string exp = dir.path + "/batch" + std::to_string(++batch) + ".export";
  {
    std::ofstream out(exp);
    std::int64_t mono = 1000;
    for (const auto& e : entries) {
      out << "__REALTIME_TIMESTAMP=" << e.realtime_us << "\n"
          << "__MONOTONIC_TIMESTAMP=" << mono++ << "\n"
          << "_BOOT_ID=0123456789abcdef0123456789abcdef\n"
          << "_HOSTNAME=lab\n";
      for (const auto& f : e.fields) out << f << "\n";
      out << "\n";
    }
  }
  std::string cmd = std::string(kJournalRemote) + " --output=" + dir.path + "/sshd.journal " + exp +
                    " >/dev/null 2>&1";
  REQUIRE(std::system(cmd.c_str()) == 0);
}

}  // namespace

TEST_CASE("journal: sshd entries however unit and program are named, with cursor resume", "[sshd][journal]") {
  if (::access(kJournalRemote, X_OK) != 0) {
    WARN("systemd-journal-remote missing (scripts/setup installs it): skipped");
    return;
  }
  TempDir dir;
  const std::int64_t t0 = 1700000000LL * 1'000'000;  // 2023-11-14T22:13:20Z, in µs
  write_journal(dir, {
      {t0, {"SYSLOG_IDENTIFIER=sshd", "_COMM=sshd", "_PID=42", "_SYSTEMD_UNIT=ssh.service",
            "MESSAGE=Failed password for root from 203.0.113.66 port 40001 ssh2"}},
      {t0 + 1, {"SYSLOG_IDENTIFIER=cron", "_COMM=cron", "_PID=7",
                "MESSAGE=Failed password for root from 198.51.100.1 port 1 ssh2"}},
      // OpenSSH >= 9.8: the per-connection process is sshd-session
      {t0 + 2, {"SYSLOG_IDENTIFIER=sshd-session", "_COMM=sshd-session", "_PID=43",
                "_SYSTEMD_UNIT=sshd.service",
                "MESSAGE=Accepted publickey for alice from 2001:db8:2::66 port 40002 ssh2: "
                "ED25519 SHA256:abc"}},
      // no SYSLOG_IDENTIFIER: matched by _COMM
      {t0 + 3, {"_COMM=sshd", "_PID=44", "MESSAGE=Invalid user bob from 203.0.113.7 port 40003"}},
      // matched by the unit alone
      {t0 + 4, {"_SYSTEMD_UNIT=ssh.service", "SYSLOG_IDENTIFIER=sshd", "_PID=45",
                "MESSAGE=pam_unix(sshd:session): session opened for user alice(uid=1000) by (uid=0)"}},
  });
  JournalLocation where;
  where.files = {dir.path + "/sshd.journal"};

  badip::sshd::ParseStats stats;
  auto src = JournalSource::open(where, std::nullopt, /*from_start=*/true, stats);
  REQUIRE(src.ok());
  auto ev = src->poll();
  REQUIRE(ev.ok());
  REQUIRE(ev->size() == 3);
  CHECK(src->entries() == 4);  // the cron entry does not match
  CHECK((*ev)[0].result == LoginResult::Failure);
  CHECK((*ev)[0].method == "password");
  CHECK((*ev)[0].user == "root");
  CHECK((*ev)[0].address.to_string() == "203.0.113.66");
  CHECK((*ev)[0].port == 40001);
  CHECK((*ev)[0].program == "sshd");
  CHECK((*ev)[0].pid == 42);
  CHECK((*ev)[0].wall_ns == t0 * 1000);
  CHECK((*ev)[1].result == LoginResult::Success);
  CHECK((*ev)[1].program == "sshd-session");
  CHECK((*ev)[1].address.to_string() == "2001:db8:2::66");
  CHECK((*ev)[1].wall_ns == (t0 + 2) * 1000);
  CHECK((*ev)[2].result == LoginResult::InvalidUser);
  CHECK((*ev)[2].user == "bob");
  CHECK((*ev)[2].pid == 44);
  CHECK(stats.not_auth == 1);
  CHECK(stats.unparsed == 0);
  const std::string saved = src->cursor();
  CHECK_FALSE(saved.empty());

  // More entries: the open source sees them, and so does a new one started
  // from the saved cursor, without repeating the first batch.
  write_journal(dir, {
      {t0 + 10, {"SYSLOG_IDENTIFIER=sshd", "_PID=50",
                 "MESSAGE=Connection closed by authenticating user root 203.0.113.66 port 40004 [preauth]"}},
  });
  auto more = src->poll();
  REQUIRE(more.ok());
  REQUIRE(more->size() == 1);
  CHECK((*more)[0].result == LoginResult::Failure);
  CHECK((*more)[0].attempts == 0);

  badip::sshd::ParseStats stats2;
  auto resumed = JournalSource::open(where, saved, /*from_start=*/true, stats2);
  REQUIRE(resumed.ok());
  auto again = resumed->poll();
  REQUIRE(again.ok());
  REQUIRE(again->size() == 1);
  CHECK((*again)[0].port == 40004);
  CHECK(resumed->cursor() == src->cursor());

  // Without a cursor and not from the start: only what comes later.
  badip::sshd::ParseStats stats3;
  auto tail = JournalSource::open(where, std::nullopt, /*from_start=*/false, stats3);
  REQUIRE(tail.ok());
  auto none = tail->poll();
  REQUIRE(none.ok());
  CHECK(none->empty());
}
