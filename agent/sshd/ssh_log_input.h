#pragma once
// SshLogInput: what `--ssh-log SPEC` names, one type for the agent's loop.
// SPEC is "journal" (the local systemd journal) or a log file path
// (/var/log/auth.log, /var/log/secure, an `sshd -E` file).
//
//   auto in = SshLogInput::open(spec, saved_state_or_empty, now, stats);
//   loop: when in->watch_fd() is readable (or every second):
//     auto events = in->poll();  ... hand them on ...
//     store in->state();           // an opaque string; pass it back at the next start
//
// First start (no saved state): only what is written from now on.
#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "sshd/auth_log_source.h"
#include "sshd/journal_source.h"

namespace badip::sshd {

class SshLogInput {
 public:
  static Result<SshLogInput> open(const std::string& spec, const std::string& saved_state,
                                  AuthLogSource::Clock now, ParseStats& stats);

  Result<std::vector<LoginEvent>> poll();
  // "file:<dev>:<inode>:<offset>:<hash>:<len>" or "journal:<cursor>".
  std::string state() const;
  int watch_fd();
  bool is_journal() const { return std::holds_alternative<JournalSource>(src_); }

 private:
  explicit SshLogInput(std::variant<AuthLogSource, JournalSource> s) : src_(std::move(s)) {}
  std::variant<AuthLogSource, JournalSource> src_;
};

}  // namespace badip::sshd
