#include "sshd/follower.h"

#include <fcntl.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <charconv>

namespace badip::sshd {

namespace {

// How many leading bytes identify a file. Syslog lines start with a
// timestamp, so two different log files practically never share them.
constexpr std::uint32_t kHeadBytes = 64;
constexpr std::size_t kChunk = 64 * 1024;

std::uint64_t fnv1a(const char* p, std::size_t n) {
  std::uint64_t h = 1469598103934665603ULL;
  for (std::size_t i = 0; i < n; ++i) {
    h ^= static_cast<unsigned char>(p[i]);
    h *= 1099511628211ULL;
  }
  return h;
}

std::string dir_of(const std::string& path) {
  auto slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

std::optional<struct stat> stat_path(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return std::nullopt;
  return st;
}

}  // namespace

// ---------------------------------------------------------------- FilePosition

std::string FilePosition::to_string() const {
  return std::to_string(device) + ":" + std::to_string(inode) + ":" + std::to_string(offset) +
         ":" + std::to_string(head_hash) + ":" + std::to_string(head_len);
}

std::optional<FilePosition> FilePosition::parse(std::string_view text) {
  std::array<std::uint64_t, 5> v{};
  for (std::size_t i = 0; i < v.size(); ++i) {
    auto colon = text.find(':');
    std::string_view field = text.substr(0, colon);
    auto [p, ec] = std::from_chars(field.data(), field.data() + field.size(), v[i]);
    if (ec != std::errc() || p != field.data() + field.size() || field.empty()) return std::nullopt;
    if ((colon == std::string_view::npos) != (i + 1 == v.size())) return std::nullopt;
    if (colon != std::string_view::npos) text.remove_prefix(colon + 1);
  }
  if (v[4] > kHeadBytes) return std::nullopt;
  return FilePosition{v[0], v[1], v[2], v[3], static_cast<std::uint32_t>(v[4])};
}

// ---------------------------------------------------------------- UniqueFd

UniqueFd::~UniqueFd() {
  if (fd_ >= 0) ::close(fd_);
}

UniqueFd& UniqueFd::operator=(UniqueFd&& o) noexcept {
  if (this != &o) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = o.release();
  }
  return *this;
}

// ---------------------------------------------------------------- LogFollower

Result<LogFollower> LogFollower::open(std::string path, std::optional<FilePosition> resume,
                                      StartAt first) {
  LogFollower f(std::move(path));
  // A directory watch sees the file being created, renamed and written to.
  // Without inotify the caller's timer still drives poll(), so failure here
  // is not fatal.
  f.inotify_ = UniqueFd(::inotify_init1(IN_NONBLOCK | IN_CLOEXEC));
  if (f.inotify_ &&
      ::inotify_add_watch(f.inotify_.get(), dir_of(f.path_).c_str(),
                          IN_MODIFY | IN_CREATE | IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE |
                              IN_CLOSE_WRITE | IN_ATTRIB) < 0) {
    f.inotify_ = UniqueFd();
  }

  auto current = stat_path(f.path_);
  if (resume) {
    auto same = [&](const std::optional<struct stat>& st) {
      return st && static_cast<std::uint64_t>(st->st_dev) == resume->device &&
             static_cast<std::uint64_t>(st->st_ino) == resume->inode;
    };
    std::string rotated = f.path_ + ".1";
    if (!same(current) && same(stat_path(rotated))) {
      // Rotated while we were away: finish the old file first; poll() then
      // notices that `path` is another file and moves on to it.
      std::string live = std::move(f.path_);
      f.path_ = rotated;
      Status s = f.open_current(resume->offset);
      f.path_ = std::move(live);
      if (!s) return s.error();
    } else if (current) {
      // The saved file itself (checked by its head bytes, since an inode
      // number can be reused), or a new file read from its start.
      if (auto s = f.open_current(0); !s) return s.error();
      auto h = f.hash_head(f.fd_.get(), resume->head_len);
      if (h && *h == resume->head_hash && static_cast<std::uint64_t>(current->st_size) >= resume->offset) {
        f.offset_ = resume->offset;
        f.head_hash_ = resume->head_hash;
        f.head_len_ = resume->head_len;
      }
    }
    return f;
  }
  if (current) {
    if (auto s = f.open_current(0); !s) return s.error();
    if (first == StartAt::End) {
      // Start after the last complete line, so a line being written now is
      // delivered whole.
      std::uint64_t size = static_cast<std::uint64_t>(current->st_size);
      std::uint64_t from = size > kChunk ? size - kChunk : 0;
      std::string tail(size - from, '\0');
      ssize_t n = ::pread(f.fd_.get(), tail.data(), tail.size(), static_cast<off_t>(from));
      if (n < 0) return Error::from_errno("read " + f.path_);
      tail.resize(static_cast<std::size_t>(n));
      auto nl = tail.rfind('\n');
      f.offset_ = nl == std::string::npos ? (from == 0 ? 0 : size) : from + nl + 1;
      if (auto h = f.hash_head(f.fd_.get(), static_cast<std::uint32_t>(std::min<std::uint64_t>(size, kHeadBytes)))) {
        f.head_hash_ = *h;
        f.head_len_ = static_cast<std::uint32_t>(std::min<std::uint64_t>(size, kHeadBytes));
      }
    }
  }
  return f;
}

Status LogFollower::open_current(std::uint64_t offset) {
  UniqueFd fd(::open(path_.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK));
  if (!fd) return Error::from_errno("open " + path_);
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) return Error::from_errno("stat " + path_);
  fd_ = std::move(fd);
  dev_ = static_cast<std::uint64_t>(st.st_dev);
  ino_ = static_cast<std::uint64_t>(st.st_ino);
  offset_ = offset;
  partial_.clear();
  head_hash_ = 0;
  head_len_ = 0;
  return {};
}

std::optional<std::uint64_t> LogFollower::hash_head(int fd, std::uint32_t len) const {
  std::array<char, kHeadBytes> buf{};
  len = std::min(len, kHeadBytes);
  ssize_t n = ::pread(fd, buf.data(), len, 0);
  if (n != static_cast<ssize_t>(len)) return std::nullopt;
  return fnv1a(buf.data(), len);
}

Status LogFollower::drain(std::vector<std::string>& out) {
  struct stat st {};
  if (::fstat(fd_.get(), &st) != 0) return Error::from_errno("stat " + path_);
  std::uint64_t size = static_cast<std::uint64_t>(st.st_size);
  std::uint64_t pos = offset_ + partial_.size();
  bool head_changed = false;
  if (head_len_ > 0 && size >= head_len_) {
    auto h = hash_head(fd_.get(), head_len_);
    head_changed = !h || *h != head_hash_;
  }
  if (size < pos || head_changed) {
    // copytruncate (or the file was rewritten): everything in it is new.
    ++stats_.truncations;
    offset_ = 0;
    partial_.clear();
    head_hash_ = 0;
    head_len_ = 0;
    pos = 0;
  }
  std::string buf(kChunk, '\0');
  for (;;) {
    ssize_t n = ::pread(fd_.get(), buf.data(), buf.size(), static_cast<off_t>(pos));
    if (n < 0) {
      if (errno == EINTR) continue;
      return Error::from_errno("read " + path_);
    }
    if (n == 0) break;
    pos += static_cast<std::uint64_t>(n);
    stats_.bytes += static_cast<std::uint64_t>(n);
    std::string_view chunk(buf.data(), static_cast<std::size_t>(n));
    for (;;) {
      auto nl = chunk.find('\n');
      if (nl == std::string_view::npos) {
        partial_.append(chunk);
        break;
      }
      partial_.append(chunk.substr(0, nl));
      offset_ += partial_.size() + 1;
      out.push_back(std::move(partial_));
      partial_.clear();
      ++stats_.lines;
      chunk.remove_prefix(nl + 1);
    }
  }
  if (head_len_ < kHeadBytes && pos > head_len_) {
    auto len = static_cast<std::uint32_t>(std::min<std::uint64_t>(pos, kHeadBytes));
    if (auto h = hash_head(fd_.get(), len)) {
      head_hash_ = *h;
      head_len_ = len;
    }
  }
  return {};
}

void LogFollower::flush_partial(std::vector<std::string>& out) {
  if (partial_.empty()) return;
  offset_ += partial_.size();
  out.push_back(std::move(partial_));
  partial_.clear();
  ++stats_.lines;
}

void LogFollower::drain_inotify() {
  if (!inotify_) return;
  alignas(struct inotify_event) char buf[4096];
  while (::read(inotify_.get(), buf, sizeof(buf)) > 0) {
  }
}

Result<std::vector<std::string>> LogFollower::poll() {
  drain_inotify();
  std::vector<std::string> out;
  if (!fd_) {
    if (!stat_path(path_)) return out;  // not there yet
    if (auto s = open_current(0); !s) return s.error();
  }
  if (auto s = drain(out); !s) return s.error();
  auto st = stat_path(path_);
  if (st && (static_cast<std::uint64_t>(st->st_dev) != dev_ ||
             static_cast<std::uint64_t>(st->st_ino) != ino_)) {
    // Rotated by rename (or deleted and recreated): the writer may still have
    // appended to the old file after our read, so finish it, then switch.
    if (auto s = drain(out); !s) return s.error();
    flush_partial(out);  // the old file is done: its unterminated last line too
    if (auto s = open_current(0); !s) return s.error();
    ++stats_.rotations;
    if (auto s = drain(out); !s) return s.error();
  }
  return out;
}

FilePosition LogFollower::position() const {
  return FilePosition{dev_, ino_, offset_, head_hash_, head_len_};
}

}  // namespace badip::sshd
