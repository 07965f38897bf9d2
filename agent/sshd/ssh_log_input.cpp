#include "sshd/ssh_log_input.h"

namespace badip::sshd {

Result<SshLogInput> SshLogInput::open(const std::string& spec, const std::string& saved_state,
                                      AuthLogSource::Clock now, ParseStats& stats) {
  std::string_view state(saved_state);
  if (spec == "journal") {
    std::optional<std::string> cursor;
    if (state.substr(0, 8) == "journal:" && state.size() > 8) cursor = std::string(state.substr(8));
    auto j = JournalSource::open(JournalLocation{}, cursor, /*from_start=*/false, stats);
    if (!j) return j.error();
    return SshLogInput(std::move(*j));
  }
  // A state that does not parse (another source, an old format) is ignored:
  // the file is then followed from its end, never re-read.
  std::optional<FilePosition> pos;
  if (state.substr(0, 5) == "file:") pos = FilePosition::parse(state.substr(5));
  auto f = AuthLogSource::open(spec, pos, LogFollower::StartAt::End, std::move(now), stats);
  if (!f) return f.error();
  return SshLogInput(std::move(*f));
}

Result<std::vector<LoginEvent>> SshLogInput::poll() {
  return std::visit([](auto& s) { return s.poll(); }, src_);
}

std::string SshLogInput::state() const {
  if (auto* j = std::get_if<JournalSource>(&src_)) return "journal:" + j->cursor();
  return "file:" + std::get<AuthLogSource>(src_).position().to_string();
}

int SshLogInput::watch_fd() {
  if (auto* j = std::get_if<JournalSource>(&src_)) return j->watch_fd();
  return std::get<AuthLogSource>(src_).watch_fd();
}

}  // namespace badip::sshd
