#include "sshd/auth_log_source.h"

namespace badip::sshd {

Result<AuthLogSource> AuthLogSource::open(std::string path, std::optional<FilePosition> resume,
                                          LogFollower::StartAt first, Clock now,
                                          ParseStats& stats) {
  auto f = LogFollower::open(std::move(path), resume, first);
  if (!f) return f.error();
  return AuthLogSource(std::move(*f), std::move(now), stats);
}

Result<std::vector<LoginEvent>> AuthLogSource::poll() {
  auto lines = follower_.poll();
  if (!lines) return lines.error();
  std::vector<LoginEvent> events;
  std::int64_t now = now_();
  for (const auto& line : *lines) {
    ParsedLine p = parse_line_at(line, now);
    stats_->count(p);
    if (p.kind == LineKind::Event) events.push_back(std::move(p.event));
  }
  return events;
}

}  // namespace badip::sshd
