#include "intel/intel.h"

#include <malloc.h>

#include <poll.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <unistd.h>

#include <filesystem>

#include <fmt/core.h>
#include <set>

namespace badip::intel {

struct Feed {
  FeedInfo info;
  std::vector<Entry> entries;
};

namespace {

std::pair<std::string, std::string> split_kv(const std::string& s) {
  auto eq = s.find('=');
  if (eq == std::string::npos) return {"", s};
  return {s.substr(0, eq), s.substr(eq + 1)};
}

// Never reported: loopback, link-local, multicast, unspecified.
constexpr const char* kNeverReport[] = {"0.0.0.0/32", "127.0.0.0/8", "169.254.0.0/16", "224.0.0.0/4",
                                        "255.255.255.255/32", "::/128", "::1/128", "fe80::/10", "ff00::/8"};
// Private and shared ranges: excluded unless include_private.
constexpr const char* kPrivate[] = {"10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10", "fc00::/7"};

std::shared_ptr<Feed> to_feed(ParsedFeed&& parsed, FeedInfo info) {
  auto f = std::make_shared<Feed>();
  f->info = std::move(info);
  f->info.format = std::string(format_name(parsed.format));
  f->entries.reserve(parsed.entries.size());
  for (auto& e : parsed.entries) f->entries.push_back(Entry{e.prefix, &f->info, std::move(e.meta)});
  return f;
}

std::int64_t system_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

}  // namespace

Status IntelOptions::finalize() {
  if (!feed_args.empty()) {
    feeds.clear();
    for (const auto& a : feed_args) {
      auto [name, path] = split_kv(a);
      if (path.empty()) return Error{0, "--feed " + a + ": empty path"};
      FeedSpec s;
      s.path = path;
      s.name = name.empty() ? std::filesystem::path(path).stem().string() : name;
      for (const auto& f : feeds)
        if (f.name == s.name) return Error{0, "--feed " + a + ": feed name '" + s.name + "' used twice"};
      feeds.push_back(std::move(s));
    }
  }
  auto apply = [&](const std::vector<std::string>& args, const char* flag,
                   const std::function<Status(FeedSpec&, const std::string&)>& set) -> Status {
    for (const auto& a : args) {
      auto [name, value] = split_kv(a);
      FeedSpec* target = nullptr;
      for (auto& f : feeds)
        if (f.name == name) target = &f;
      if (!target) return Error{0, std::string(flag) + " " + a + ": no feed named '" + name + "'"};
      if (auto st = set(*target, value); !st) return st;
    }
    return {};
  };
  if (auto st = apply(category_args, "--feed-category", [](FeedSpec& f, const std::string& v) -> Status {
        f.category = v;
        return {};
      }); !st)
    return st;
  if (auto st = apply(confidence_args, "--feed-confidence", [](FeedSpec& f, const std::string& v) -> Status {
        int n = -1;
        try {
          std::size_t used = 0;
          n = std::stoi(v, &used);
          if (used != v.size()) n = -1;
        } catch (...) {
        }
        if (n < 0 || n > 100) return Error{0, "--feed-confidence " + f.name + "=" + v + ": not 0..100"};
        f.confidence = n;
        return {};
      }); !st)
    return st;
  if (auto st = apply(format_args, "--feed-format", [](FeedSpec& f, const std::string& v) -> Status {
        if (!format_from_name(v)) return Error{0, "--feed-format " + f.name + "=" + v + ": unknown format (" + format_names() + ")"};
        f.format = v;
        return {};
      }); !st)
    return st;
  if (auto st = apply(source_args, "--feed-source", [](FeedSpec& f, const std::string& v) -> Status {
        f.source = v;
        return {};
      }); !st)
    return st;
  if (auto st = apply(column_args, "--feed-csv-column", [](FeedSpec& f, const std::string& v) -> Status {
        f.csv_column = v;
        return {};
      }); !st)
    return st;
  if (auto st = apply(iprep_args, "--feed-iprep-categories", [](FeedSpec& f, const std::string& v) -> Status {
        f.iprep_categories = v;
        return {};
      }); !st)
    return st;
  if (max_shrink < 0 || max_shrink > 1) return Error{0, "--max-shrink must be within 0..1"};
  for (auto& f : feeds)
    if (f.source.empty()) f.source = f.path;
  return {};
}

void add_intel_options(CLI::App& cmd, IntelOptions& o) {
  // One value per occurrence, so positional arguments after a flag stay positional.
  cmd.add_option("--feed", o.feed_args, "Feed file, PATH or NAME=PATH (repeatable)")->allow_extra_args(false);
  cmd.add_option("--feed-category", o.category_args, "NAME=CATEGORY for a feed (repeatable)")->allow_extra_args(false);
  cmd.add_option("--feed-confidence", o.confidence_args, "NAME=0..100 for a feed (repeatable)")->allow_extra_args(false);
  cmd.add_option("--feed-format", o.format_args, "NAME=FORMAT for a feed: " + format_names())->allow_extra_args(false);
  cmd.add_option("--feed-source", o.source_args, "NAME=TEXT source/URL shown for a feed")->allow_extra_args(false);
  cmd.add_option("--feed-csv-column", o.column_args, "NAME=COLUMN: the IP column of a CSV feed")->allow_extra_args(false);
  cmd.add_option("--feed-iprep-categories", o.iprep_args, "NAME=FILE: categories file of an iprep feed")
      ->allow_extra_args(false);
  cmd.add_option("--allowlist", o.allowlists, "Allowlist file, same formats (repeatable); wins over every feed")
      ->allow_extra_args(false);
  cmd.add_flag("--include-private", o.include_private, "Also report private (RFC 1918, ULA, CGNAT) addresses");
  cmd.add_option("--max-shrink", o.max_shrink, "Reload keeps a feed that lost more than this fraction (0..1)")
      ->capture_default_str();
}

void Snapshot::lookup_batch(const IpAddress* in, std::size_t n, Matches* out) const {
  constexpr std::size_t kChunk = 64;
  PrefixTable::ResultId ids[kChunk];
  for (std::size_t i = 0; i < n; i += kChunk) {
    std::size_t m = std::min(kChunk, n - i);
    table_.find_batch(in + i, m, ids);
    for (std::size_t k = 0; k < m; ++k) out[i + k] = Matches(table_.values(ids[k]), entry_index_.data());
  }
}

Intel::Intel(IntelOptions opts, LogSink log, Clock clock)
    : opts_(std::move(opts)), log_(std::move(log)), clock_(clock ? std::move(clock) : Clock(system_now)),
      domain_(EpochDomain::global()) {}

Intel::~Intel() {
  stop_watching();
  const Snapshot* s = current_.exchange(nullptr);
  domain_.synchronize();
  delete s;
}

void Intel::log(LogLevel l, const std::string& m) const {
  if (log_) log_(l, m);
}

Result<std::unique_ptr<Intel>> Intel::load(IntelOptions opts, LogSink log, Clock clock) {
  if (auto st = opts.finalize(); !st) return st.error();
  std::unique_ptr<Intel> intel(new Intel(std::move(opts), std::move(log), std::move(clock)));
  std::lock_guard lock(intel->mu_);
  if (auto st = intel->reload_locked(true); !st) return st.error();
  return intel;
}

Intel::Reader Intel::reader() const {
  // The guard is entered before the pointer is loaded (see epoch.h).
  Reader r(domain_, nullptr);
  r.snap_ = current_.load(std::memory_order_seq_cst);
  return r;
}

Status Intel::reload() {
  std::lock_guard lock(mu_);
  return reload_locked(false);
}

Status Intel::reload_locked(bool initial) {
  std::string first_error;
  std::size_t kept = 0;
  if (initial) feed_stats_.assign(opts_.feeds.size(), FeedStats{});
  std::vector<std::shared_ptr<const Feed>> next(opts_.feeds.size());
  for (std::size_t i = 0; i < opts_.feeds.size(); ++i) {
    const FeedSpec& spec = opts_.feeds[i];
    FeedStats& st = feed_stats_[i];
    st.name = spec.name;
    ParseOptions po;
    po.format = format_from_name(spec.format).value_or(Format::kAuto);
    po.csv_column = spec.csv_column;
    po.iprep_categories = spec.iprep_categories;
    po.allow_zero_prefix = spec.allow_zero_prefix;
    auto parsed = parse_feed_file(spec.path, po);
    std::shared_ptr<const Feed> old = initial ? nullptr : feeds_[i];
    if (!parsed) {
      std::string msg = "feed " + spec.name + ": " + parsed.error().message();
      if (initial) return Error{0, msg};
      ++st.reloads_failed;
      ++kept;
      if (first_error.empty()) first_error = msg + " (keeping previous contents)";
      log(LogLevel::kError, msg + "; keeping previous " + std::to_string(old->entries.size()) + " entries");
      next[i] = old;
      continue;
    }
    for (const auto& r : parsed->rejected) log(LogLevel::kWarning, r);
    for (const auto& w : parsed->warnings) log(LogLevel::kWarning, w);
    std::size_t n = parsed->entries.size();
    if (old && double(n) < double(old->entries.size()) * (1.0 - opts_.max_shrink)) {
      ++st.reloads_shrink_rejected;
      ++kept;
      std::string msg = "feed " + spec.name + ": shrank from " + std::to_string(old->entries.size()) + " to " +
                        std::to_string(n) + " entries (more than max-shrink); keeping previous contents";
      if (first_error.empty()) first_error = msg;
      log(LogLevel::kError, msg);
      next[i] = old;
      continue;
    }
    FeedInfo info{spec.name, spec.category, spec.source.empty() ? spec.path : spec.source, spec.path, "",
                  spec.confidence};
    next[i] = to_feed(std::move(*parsed), std::move(info));
    ++st.reloads_ok;
    st.last_success_unix = clock_();
    log(LogLevel::kInfo, "feed " + spec.name + ": " + std::to_string(n) + " entries (" + next[i]->info.format + ")");
  }
  std::vector<std::shared_ptr<const Feed>> allow;
  for (std::size_t i = 0; i < opts_.allowlists.size(); ++i) {
    const auto& path = opts_.allowlists[i];
    auto parsed = parse_feed_file(path, ParseOptions{});
    if (!parsed) {
      std::string msg = "allowlist " + parsed.error().message();
      if (initial) return Error{0, msg};
      if (first_error.empty()) first_error = msg + " (keeping previous contents)";
      log(LogLevel::kError, msg + "; keeping previous contents");
      ++kept;
      allow.push_back(i < allow_.size() ? allow_[i] : nullptr);
      continue;
    }
    if (initial && !parsed->rejected.empty())
      return Error{0, "allowlist " + parsed->rejected.front() + (parsed->rejected.size() > 1
                      ? fmt::format(" (and {} more rejected lines)", parsed->rejected.size() - 1) : "")};
    for (const auto& r : parsed->rejected) log(LogLevel::kWarning, r);
    allow.push_back(to_feed(std::move(*parsed), FeedInfo{path, "allow", path, path, "", 0}));
  }

  // Build the new generation off the hot path.
  auto snap = std::make_unique<Snapshot>();
  snap->feeds_ = next;
  std::vector<PrefixTable::Item> items;
  std::size_t total = 0;
  for (const auto& f : next) total += f->entries.size();
  items.reserve(total + 32);
  snap->entry_index_.reserve(total);
  for (const auto& f : next)
    for (const auto& e : f->entries) {
      items.push_back({e.prefix, std::uint32_t(snap->entry_index_.size()), false});
      snap->entry_index_.push_back(&e);
    }
  std::size_t allow_entries = 0;
  for (const auto& f : allow) {
    if (!f) continue;
    allow_entries += f->entries.size();
    for (const auto& e : f->entries) items.push_back({e.prefix, 0, true});
  }
  auto add_builtin = [&](const char* text) {
    auto p = parse_prefix(text);
    items.push_back({p.prefixes.at(0), 0, true});
  };
  for (auto* t : kNeverReport) add_builtin(t);
  if (!opts_.include_private)
    for (auto* t : kPrivate) add_builtin(t);
  snap->table_ = PrefixTable::build(std::move(items), std::uint32_t(snap->entry_index_.size()));
  snap->generation_ = ++generation_;

  feeds_ = std::move(next);
  allow_ = std::move(allow);
  for (std::size_t i = 0; i < feeds_.size(); ++i) feed_stats_[i].entries = feeds_[i]->entries.size();
  totals_.allowlist_entries = allow_entries;
  totals_.generation = generation_;
  totals_.table_bytes = snap->table_.stats().total_bytes();
  if (kept) {
    ++totals_.reloads_failed;
  } else {
    ++totals_.reloads_ok;
    totals_.last_success_unix = clock_();
  }
  const Snapshot* old = current_.exchange(snap.release(), std::memory_order_seq_cst);
  if (old) {
    domain_.synchronize();  // every reader that could see `old` has left
    delete old;
  }
  // Parsing a large feed leaves most of its transient memory in malloc's free
  // lists; hand it back (halves the agent's RSS with a 10^6-entry feed set).
  malloc_trim(0);
  if (kept) return Error{0, first_error};
  return {};
}

IntelStats Intel::stats() const {
  std::lock_guard lock(mu_);
  IntelStats s = totals_;
  s.feeds = feed_stats_;
  return s;
}

Status Intel::start_watching() {
  std::lock_guard lock(mu_);
  if (watcher_.joinable()) return {};
  int ifd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
  if (ifd < 0) return Error::from_errno("inotify_init1");
  int efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (efd < 0) {
    auto e = Error::from_errno("eventfd");
    ::close(ifd);
    return e;
  }
  std::set<std::string> dirs;
  for (const auto& f : opts_.feeds) dirs.insert(std::filesystem::absolute(f.path).parent_path().string());
  for (const auto& a : opts_.allowlists) dirs.insert(std::filesystem::absolute(a).parent_path().string());
  for (const auto& d : dirs) {
    if (inotify_add_watch(ifd, d.c_str(), IN_CLOSE_WRITE | IN_MOVED_TO | IN_CREATE | IN_DELETE) < 0) {
      auto e = Error::from_errno("inotify_add_watch " + d);
      ::close(ifd);
      ::close(efd);
      return e;
    }
  }
  inotify_fd_ = ifd;
  event_fd_ = efd;
  stop_.store(false);
  watcher_ = std::thread([this] { watch_loop(); });
  return {};
}

void Intel::stop_watching() {
  std::thread t;
  {
    std::lock_guard lock(mu_);
    if (!watcher_.joinable()) return;
    stop_.store(true);
    std::uint64_t one = 1;
    [[maybe_unused]] auto n = ::write(event_fd_, &one, sizeof(one));
    t = std::move(watcher_);
  }
  t.join();
  std::lock_guard lock(mu_);
  ::close(inotify_fd_);
  ::close(event_fd_.exchange(-1));  // hide it from request_reload() first
  inotify_fd_ = -1;
}

void Intel::request_reload() noexcept {
  int fd = event_fd_.load(std::memory_order_acquire);
  if (fd < 0) return;
  std::uint64_t one = 1;
  [[maybe_unused]] auto n = ::write(fd, &one, sizeof(one));
}

void Intel::watch_loop() {
  std::set<std::string> names;
  for (const auto& f : opts_.feeds) names.insert(std::filesystem::path(f.path).filename().string());
  for (const auto& a : opts_.allowlists) names.insert(std::filesystem::path(a).filename().string());
  alignas(inotify_event) char buf[8192];
  while (!stop_.load()) {
    pollfd fds[2] = {{inotify_fd_, POLLIN, 0}, {event_fd_, POLLIN, 0}};
    if (::poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      log(LogLevel::kError, "intel watcher: poll failed, reload on change stopped");
      return;
    }
    if (stop_.load()) return;
    bool want = false;
    if (fds[1].revents & POLLIN) {
      std::uint64_t v;
      [[maybe_unused]] auto n = ::read(event_fd_, &v, sizeof(v));
      want = true;
    }
    if (fds[0].revents & POLLIN) {
      while (true) {
        ssize_t n = ::read(inotify_fd_, buf, sizeof(buf));
        if (n <= 0) break;
        for (char* p = buf; p < buf + n;) {
          auto* ev = reinterpret_cast<inotify_event*>(p);
          if (ev->len && names.count(ev->name)) want = true;
          p += sizeof(inotify_event) + ev->len;
        }
      }
    }
    if (want) {
      log(LogLevel::kInfo, "reloading feeds");
      (void)reload();
    }
  }
}

}  // namespace badip::intel
