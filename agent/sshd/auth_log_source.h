#pragma once
// AuthLogSource: a followed auth log (LogFollower) turned into LoginEvents.
// The agent's event loop polls it when watch_fd() is readable or on a timer,
// and saves position() in its state store after handling the events.
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "sshd/follower.h"
#include "sshd/login_event.h"
#include "sshd/parser.h"

namespace badip::sshd {

class AuthLogSource {
 public:
  using Clock = std::function<std::int64_t()>;  // Unix time in ns

  // `stats` must outlive the source; the exporter may read it from another thread.
  static Result<AuthLogSource> open(std::string path, std::optional<FilePosition> resume,
                                    LogFollower::StartAt first, Clock now, ParseStats& stats);

  // New login events since the last call. Lines that are no event are only counted.
  Result<std::vector<LoginEvent>> poll();

  FilePosition position() const { return follower_.position(); }
  int watch_fd() const { return follower_.watch_fd(); }
  const LogFollower& follower() const { return follower_; }

 private:
  AuthLogSource(LogFollower f, Clock now, ParseStats& stats)
      : follower_(std::move(f)), now_(std::move(now)), stats_(&stats) {}

  LogFollower follower_;
  Clock now_;
  ParseStats* stats_;
};

}  // namespace badip::sshd
