#pragma once
// Threat intelligence for the agent: feeds + allowlists -> an immutable,
// lock-free lookup snapshot, reloaded on file change or on request.
//
// Use from `badip run`:
//   IntelOptions opts;  add_intel_options(cmd, opts);      // flags + config keys
//   auto intel = Intel::load(opts, log);                     // Result<unique_ptr<Intel>>
//   (*intel)->start_watching();                              // inotify + request_reload()
//   // on SIGHUP (signal handler): intel->request_reload();  // async-signal-safe
//   // hot path, any thread, per batch of events:
//   auto r = intel->reader();                                // RAII read guard, wait-free
//   Matches m = r.lookup(addr);                              // valid while `r` lives
//   for (const Entry& e : m) e.feed->name, e.feed->category, e.feed->confidence, e.prefix, e.meta
//   r.lookup_batch(addrs, n, out);                           // prefetching batch variant
//
// Thread-safety: lookups (through a Reader) may run on any number of threads
// concurrently with reload(); they never block. A Reader must not outlive the
// Intel nor move to another thread. reload()/start_watching()/stop_watching()
// are serialised internally. stats() may be called from any thread.
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <thread>
#include <vector>

#include <CLI/CLI.hpp>

#include "badip/result.h"
#include "intel/epoch.h"
#include "intel/feed_parse.h"
#include "intel/prefix.h"
#include "intel/table.h"

namespace badip::intel {

struct FeedSpec {
  std::string name;          // defaults to the file name without directory
  std::string path;
  std::string format = "auto";  // see format_names()
  std::string category = "malicious";
  int confidence = 50;          // 0..100
  std::string source;           // defaults to the path
  std::string csv_column;       // CSV: IP column name
  std::string iprep_categories; // iprep: categories file
  bool allow_zero_prefix = false;
};

struct IntelOptions {
  std::vector<FeedSpec> feeds;
  std::vector<std::string> allowlists;
  bool include_private = false;  // report RFC 1918 / ULA / CGNAT addresses too
  double max_shrink = 0.5;       // reload rejects a feed that lost more than this fraction
  // Raw per-feed settings as given on the command line, applied by finalize().
  std::vector<std::string> feed_args, category_args, confidence_args, format_args, source_args, column_args,
      iprep_args;
  // Turns the raw flag values into `feeds`; errors name the bad value.
  Status finalize();
};

// --feed PATH|NAME=PATH (repeatable), --feed-category NAME=CAT,
// --feed-confidence NAME=N, --feed-format NAME=FMT, --feed-source NAME=TEXT,
// --feed-csv-column NAME=COL, --feed-iprep-categories NAME=FILE,
// --allowlist PATH (repeatable), --include-private, --max-shrink F.
// Config-file keys are the flag names (CLI11). Call opts.finalize() after
// parsing (the callers' subcommand callback does that).
void add_intel_options(CLI::App& cmd, IntelOptions& opts);

struct FeedInfo {
  std::string name, category, source, path;
  std::string format;  // detected or forced format name
  int confidence = 50;
};

struct Entry {
  Prefix prefix;
  const FeedInfo* feed = nullptr;
  Meta meta;
};

// The entries covering one address, from every feed. A cheap view.
class Matches {
 public:
  Matches() = default;
  Matches(std::span<const std::uint32_t> ids, const Entry* const* entries) : ids_(ids), entries_(entries) {}
  std::size_t size() const { return ids_.size(); }
  bool empty() const { return ids_.empty(); }
  // Equal for the same match set of the same snapshot (the table stores each
  // distinct set once): a key for caching what was derived from it.
  const void* identity() const { return ids_.data(); }
  const Entry& operator[](std::size_t i) const { return *entries_[ids_[i]]; }
  struct Iter {
    const std::uint32_t* p;
    const Entry* const* e;
    const Entry& operator*() const { return *e[*p]; }
    Iter& operator++() {
      ++p;
      return *this;
    }
    bool operator!=(const Iter& o) const { return p != o.p; }
  };
  Iter begin() const { return {ids_.data(), entries_}; }
  Iter end() const { return {ids_.data() + ids_.size(), entries_}; }

 private:
  std::span<const std::uint32_t> ids_;
  const Entry* const* entries_ = nullptr;
};

struct Feed;  // parsed contents of one feed (intel.cpp)

// One immutable generation: the table plus the entries it refers to.
class Snapshot {
 public:
  Matches lookup(const IpAddress& a) const { return {table_.lookup(a), entry_index_.data()}; }
  void lookup_batch(const IpAddress* in, std::size_t n, Matches* out) const;
  const PrefixTable& table() const { return table_; }
  std::uint64_t generation() const { return generation_; }

 private:
  friend class Intel;
  std::vector<std::shared_ptr<const Feed>> feeds_;
  std::vector<const Entry*> entry_index_;
  PrefixTable table_;
  std::uint64_t generation_ = 0;
};

struct FeedStats {
  std::string name;
  std::size_t entries = 0;
  std::uint64_t reloads_ok = 0, reloads_failed = 0, reloads_shrink_rejected = 0;
  std::int64_t last_success_unix = 0;  // seconds
};

struct IntelStats {
  std::vector<FeedStats> feeds;
  std::size_t allowlist_entries = 0;
  std::uint64_t reloads_ok = 0;       // whole reloads that published a table
  std::uint64_t reloads_failed = 0;   // reloads where at least one feed kept old data
  std::int64_t last_success_unix = 0;
  std::uint64_t generation = 0;
  std::size_t table_bytes = 0;
};

enum class LogLevel { kInfo, kWarning, kError };
using LogSink = std::function<void(LogLevel, const std::string&)>;
using Clock = std::function<std::int64_t()>;  // unix seconds; injectable for tests

class Intel {
 public:
  static Result<std::unique_ptr<Intel>> load(IntelOptions opts, LogSink log = {}, Clock clock = {});
  ~Intel();
  Intel(const Intel&) = delete;
  Intel& operator=(const Intel&) = delete;

  // Read-side guard: holds the current snapshot alive until destroyed.
  class Reader {
   public:
    Matches lookup(const IpAddress& a) const { return snap_->lookup(a); }
    void lookup_batch(const IpAddress* in, std::size_t n, Matches* out) const { snap_->lookup_batch(in, n, out); }
    const Snapshot& snapshot() const { return *snap_; }

   private:
    friend class Intel;
    Reader(EpochDomain& d, const Snapshot* s) : guard_(d), snap_(s) {}
    EpochDomain::Guard guard_;
    const Snapshot* snap_;
  };
  Reader reader() const;

  // Re-reads every feed and allowlist and publishes a new snapshot. A feed
  // that fails to parse or shrinks by more than max_shrink keeps its previous
  // contents (counted and logged). Returns an error if any feed kept old data.
  Status reload();
  // Watches the feed files' directories (inotify; replace-by-rename works) and
  // reloads on change or after request_reload().
  Status start_watching();
  void stop_watching();
  // Async-signal-safe: asks the watcher thread to reload (for SIGHUP).
  void request_reload() noexcept;

  IntelStats stats() const;

 private:
  Intel(IntelOptions opts, LogSink log, Clock clock);
  Status reload_locked(bool initial);
  void log(LogLevel l, const std::string& m) const;
  void watch_loop();

  IntelOptions opts_;
  LogSink log_;
  Clock clock_;
  EpochDomain& domain_;
  std::atomic<const Snapshot*> current_{nullptr};
  mutable std::mutex mu_;  // guards the writer-side state below
  std::vector<std::shared_ptr<const Feed>> feeds_;
  std::vector<FeedStats> feed_stats_;
  std::vector<std::shared_ptr<const Feed>> allow_;
  IntelStats totals_;
  std::uint64_t generation_ = 0;
  int inotify_fd_ = -1;
  std::atomic<int> event_fd_{-1};  // read by request_reload() from a signal handler
  std::thread watcher_;
  std::atomic<bool> stop_{false};
};

}  // namespace badip::intel
