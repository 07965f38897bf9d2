#pragma once
// JournalSource: sshd's messages from the systemd journal (sd-journal), as
// LoginEvents. Matches sshd however its unit and program are named
// (SYSLOG_IDENTIFIER / _COMM sshd or sshd-session, _SYSTEMD_UNIT ssh.service
// or sshd.service). The caller persists cursor() and passes it back at start.
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "badip/result.h"
#include "sshd/login_event.h"
#include "sshd/parser.h"

struct sd_journal;

namespace badip::sshd {

struct JournalLocation {
  std::vector<std::string> files;  // explicit journal files (tests), or
  std::string directory;           // a journal directory, or (both empty) the local system journal
};

class JournalSource {
 public:
  // Starts after `cursor` when given (and still in the journal), else at the
  // tail (`from_start` false) or the head. `stats` must outlive the source.
  static Result<JournalSource> open(const JournalLocation& where, std::optional<std::string> cursor,
                                    bool from_start, ParseStats& stats);

  // Events from entries added since the last call. Never blocks.
  Result<std::vector<LoginEvent>> poll();
  // The last entry handled ("" before any); save it to resume without gaps or repeats.
  const std::string& cursor() const { return cursor_; }
  // sd_journal_get_fd(): readable when the journal changed. -1 if unavailable.
  int watch_fd();
  std::uint64_t entries() const { return entries_; }

 private:
  struct Closer {
    void operator()(sd_journal* j) const;
  };
  JournalSource(std::unique_ptr<sd_journal, Closer> j, ParseStats& stats)
      : j_(std::move(j)), stats_(&stats) {}

  std::unique_ptr<sd_journal, Closer> j_;
  ParseStats* stats_;
  std::string cursor_;
  std::uint64_t entries_ = 0;
};

}  // namespace badip::sshd
