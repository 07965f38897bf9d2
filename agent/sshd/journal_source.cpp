#include "sshd/journal_source.h"

#include <systemd/sd-journal.h>

#include <charconv>
#include <cstdlib>

namespace badip::sshd {

namespace {

// One field of the current entry, without the "NAME=" in front.
std::string_view field(sd_journal* j, const char* name) {
  const void* data = nullptr;
  std::size_t len = 0;
  if (sd_journal_get_data(j, name, &data, &len) < 0) return {};
  std::string_view v(static_cast<const char*>(data), len);
  auto eq = v.find('=');
  return eq == std::string_view::npos ? std::string_view{} : v.substr(eq + 1);
}

bool sshd_name(std::string_view p) { return p.substr(0, 4) == "sshd"; }

}  // namespace

void JournalSource::Closer::operator()(sd_journal* j) const { sd_journal_close(j); }

Result<JournalSource> JournalSource::open(const JournalLocation& where,
                                          std::optional<std::string> cursor, bool from_start,
                                          ParseStats& stats) {
  sd_journal* raw = nullptr;
  int rc;
  if (!where.files.empty()) {
    std::vector<const char*> paths;
    for (const auto& f : where.files) paths.push_back(f.c_str());
    paths.push_back(nullptr);
    rc = sd_journal_open_files(&raw, paths.data(), 0);
  } else if (!where.directory.empty()) {
    rc = sd_journal_open_directory(&raw, where.directory.c_str(), 0);
  } else {
    rc = sd_journal_open(&raw, SD_JOURNAL_LOCAL_ONLY | SD_JOURNAL_SYSTEM);
  }
  if (rc < 0) return Error{-rc, "open the systemd journal"};
  std::unique_ptr<sd_journal, Closer> j(raw);

  // Matches on different fields are ANDed unless separated by a disjunction.
  static constexpr const char* kMatches[] = {
      "SYSLOG_IDENTIFIER=sshd",   "SYSLOG_IDENTIFIER=sshd-session", "SYSLOG_IDENTIFIER=sshd-auth",
      "_COMM=sshd",               "_COMM=sshd-session",             "_COMM=sshd-auth",
      "_SYSTEMD_UNIT=ssh.service", "_SYSTEMD_UNIT=sshd.service",
  };
  for (const char* m : kMatches) {
    if ((rc = sd_journal_add_match(j.get(), m, 0)) < 0) return Error{-rc, "journal match " + std::string(m)};
    if ((rc = sd_journal_add_disjunction(j.get())) < 0) return Error{-rc, "journal match"};
  }

  JournalSource src(std::move(j), stats);
  bool placed = false;
  if (cursor && !cursor->empty()) {
    if (sd_journal_seek_cursor(src.j_.get(), cursor->c_str()) >= 0 &&
        sd_journal_next(src.j_.get()) > 0 &&
        sd_journal_test_cursor(src.j_.get(), cursor->c_str()) > 0) {
      // Positioned on the saved entry itself: poll() continues after it.
      src.cursor_ = *cursor;
      placed = true;
    } else {
      // The entry is gone (vacuumed): start from the oldest that is left.
      sd_journal_seek_head(src.j_.get());
      placed = true;
    }
  }
  if (!placed) {
    if (from_start) {
      sd_journal_seek_head(src.j_.get());
    } else {
      // Tail, then step back one so that the next sd_journal_next() is the
      // first entry written from now on.
      sd_journal_seek_tail(src.j_.get());
      if (sd_journal_previous(src.j_.get()) > 0) {
        char* c = nullptr;
        if (sd_journal_get_cursor(src.j_.get(), &c) >= 0) {
          src.cursor_ = c;
          std::free(c);
        }
      }
    }
  }
  return src;
}

Result<std::vector<LoginEvent>> JournalSource::poll() {
  std::vector<LoginEvent> events;
  sd_journal_process(j_.get());  // acknowledge the wakeup; new files are picked up too
  for (;;) {
    int rc = sd_journal_next(j_.get());
    if (rc < 0) return Error{-rc, "read the systemd journal"};
    if (rc == 0) break;
    ++entries_;
    char* c = nullptr;
    if (sd_journal_get_cursor(j_.get(), &c) >= 0) {
      cursor_ = c;
      std::free(c);
    }
    std::string_view message = field(j_.get(), "MESSAGE");
    std::string_view program = field(j_.get(), "SYSLOG_IDENTIFIER");
    if (!sshd_name(program)) program = field(j_.get(), "_COMM");
    if (!sshd_name(program)) program = "sshd";  // matched by its unit
    std::uint32_t pid = 0;
    std::string_view pid_text = field(j_.get(), "_PID");
    if (pid_text.empty()) pid_text = field(j_.get(), "SYSLOG_PID");
    std::from_chars(pid_text.data(), pid_text.data() + pid_text.size(), pid);
    std::uint64_t usec = 0;
    sd_journal_get_realtime_usec(j_.get(), &usec);
    ParsedLine p = parse_message(message, program, pid, static_cast<std::int64_t>(usec) * 1000);
    stats_->count(p);
    if (p.kind == LineKind::Event) events.push_back(std::move(p.event));
  }
  return events;
}

int JournalSource::watch_fd() {
  int fd = sd_journal_get_fd(j_.get());
  return fd < 0 ? -1 : fd;
}

}  // namespace badip::sshd
