#pragma once
// LogFollower: `tail -F` for one log file path, for the agent's event loop.
//
//   auth.log ──read complete lines──► caller
//      │  rename-rotated: finish the old file (it stays open), then open the new one at 0
//      │  copytruncated:  size < offset, or the first bytes changed → restart at 0
//      │  partial last line: kept back until its newline arrives
//      └─ FilePosition {device, inode, offset, head hash}: saved by the caller,
//         passed back at start so a restart neither re-reads nor skips lines
//
// Nothing blocks: poll() reads what is there and returns. watch_fd() is an
// inotify descriptor on the file's directory that becomes readable when
// something there changes; callers can also just call poll() on a timer.
#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "badip/result.h"

namespace badip::sshd {

// Where a follower stands in a file. offset counts bytes of complete lines
// delivered; head_hash/head_len identify the file by its first bytes, so a
// file that was truncated and refilled (copytruncate) is not mistaken for
// the one we were reading.
struct FilePosition {
  std::uint64_t device = 0;
  std::uint64_t inode = 0;
  std::uint64_t offset = 0;
  std::uint64_t head_hash = 0;
  std::uint32_t head_len = 0;

  bool operator==(const FilePosition&) const = default;
  // "dev:inode:offset:head_hash:head_len", for state stores that keep text.
  std::string to_string() const;
  static std::optional<FilePosition> parse(std::string_view text);
};

// An owned file descriptor.
class UniqueFd {
 public:
  UniqueFd() = default;
  explicit UniqueFd(int fd) : fd_(fd) {}
  ~UniqueFd();
  UniqueFd(UniqueFd&& o) noexcept : fd_(o.release()) {}
  UniqueFd& operator=(UniqueFd&& o) noexcept;
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;
  int get() const { return fd_; }
  int release() {
    int f = fd_;
    fd_ = -1;
    return f;
  }
  explicit operator bool() const { return fd_ >= 0; }

 private:
  int fd_ = -1;
};

struct FollowerStats {
  std::uint64_t lines = 0;
  std::uint64_t bytes = 0;
  std::uint64_t rotations = 0;    // rename rotations followed
  std::uint64_t truncations = 0;  // copytruncate (or rewrite) restarts
};

class LogFollower {
 public:
  enum class StartAt { Beginning, End };

  // Follows `path`, which need not exist yet. With `resume`, continues where
  // that position left off: in the same file if it is still at `path` (or,
  // renamed by rotation, at `path`.1, which is finished first); a file that is
  // not the saved one is read from its start. Without `resume`, `first` says
  // whether an existing file is read from its start or only from its end.
  static Result<LogFollower> open(std::string path, std::optional<FilePosition> resume,
                                  StartAt first = StartAt::End);

  LogFollower(LogFollower&&) = default;
  LogFollower& operator=(LogFollower&&) = default;

  // Complete new lines (without '\n'; a trailing '\r' is kept for the parser
  // to drop). Never blocks. Errors are about the OS (e.g. EACCES); the
  // follower stays usable and retries on the next call.
  Result<std::vector<std::string>> poll();

  // What to save: the position after the last line poll() returned.
  FilePosition position() const;
  int watch_fd() const { return inotify_.get(); }
  const FollowerStats& stats() const { return stats_; }
  const std::string& path() const { return path_; }

 private:
  explicit LogFollower(std::string path) : path_(std::move(path)) {}
  Status open_current(std::uint64_t offset);
  // Reads fd_ from the read position to EOF, appending complete lines.
  Status drain(std::vector<std::string>& out);
  void flush_partial(std::vector<std::string>& out);
  std::optional<std::uint64_t> hash_head(int fd, std::uint32_t len) const;
  void drain_inotify();

  std::string path_;
  UniqueFd fd_;
  UniqueFd inotify_;
  std::uint64_t dev_ = 0, ino_ = 0;
  std::uint64_t offset_ = 0;  // end of the last complete line
  std::string partial_;       // bytes after offset_ without a newline yet
  std::uint64_t head_hash_ = 0;
  std::uint32_t head_len_ = 0;
  FollowerStats stats_;
};

}  // namespace badip::sshd
