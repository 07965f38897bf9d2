#pragma once
// Enrichment: who is behind a connection.
//
// The run loop calls ProcessCache::lookup() for each FINDING (a connection to
// or from a bad IP) with the identity the kernel record carried (tgid, uid,
// comm, cgroup id). The first lookup of a process reads /proc/PID/{exe,
// cmdline,cgroup}; later ones are served from the cache without touching
// /proc. A process that exited before we looked keeps what the kernel gave
// us (pid, uid, comm), plus the user name resolved from the uid.
//
//   enrich::ProcessCache cache;                       // "/proc", 4096 entries
//   auto proc = cache.lookup(ev.tgid, ev.uid, ev.comm_view(), ev.cgroup_id);
//   proc->exe, proc->cmdline, proc->user, proc->container_id
//
//   enrich::HostIdentity::from_system()  -> {host (gethostname), node ($NODE_NAME)}
//   enrich::parse_container_id(text of /proc/PID/cgroup) -> "" or the 64-hex id
//
// Not thread-safe: one cache per thread (the ring-buffer consumer).
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>

namespace badip::enrich {

struct ProcessInfo {
  std::uint32_t pid = 0;  // tgid (process id)
  std::uint32_t uid = 0;
  std::string comm;          // kernel comm (or /proc/PID/comm)
  std::string exe;           // /proc/PID/exe target, "" when unknown
  std::string cmdline;       // argv joined by spaces, "" when unknown
  std::string user;          // name for uid, or the number as text
  std::string container_id;  // full id from the cgroup path, "" on the host
  bool from_proc = false;    // false: the process was gone, only kernel data
};

// Container id from the text of /proc/PID/cgroup (cgroup v1 and v2 lines).
// Recognises docker (cgroupfs and systemd drivers), containerd / CRI
// (cri-containerd-ID.scope, kubepods/.../ID), cri-o (crio-ID.scope, not the
// conmon scope), podman (libpod-ID.scope) and a bare 64-hex component. The
// v2 line ("0::") wins over v1 lines. Pure: no I/O.
std::string parse_container_id(std::string_view cgroup_text);

// argv as stored in /proc/PID/cmdline (NUL separated) -> one line.
std::string join_cmdline(std::string_view raw);

// uid -> user name via the passwd database, cached; the number when unknown.
class UserNames {
 public:
  const std::string& name(std::uint32_t uid);

 private:
  std::unordered_map<std::uint32_t, std::string> names_;
};

class ProcessCache {
 public:
  explicit ProcessCache(std::string proc_root = "/proc", std::size_t capacity = 4096);

  // Shared so that a caller can keep it beyond the next lookup (eviction).
  std::shared_ptr<const ProcessInfo> lookup(std::uint32_t tgid, std::uint32_t uid,
                                            std::string_view comm, std::uint64_t cgroup_id);
  // Drop a process (e.g. on exit) so a reused pid is read afresh.
  void forget(std::uint32_t tgid);

  std::uint64_t hits() const { return hits_; }
  std::uint64_t misses() const { return misses_; }
  std::size_t size() const { return entries_.size(); }

 private:
  struct Key {
    std::uint32_t tgid;
    std::uint32_t uid;
    std::uint64_t cgroup_id;
    char comm[16];
    bool operator==(const Key&) const = default;
  };
  struct KeyHash {
    std::size_t operator()(const Key& k) const;
  };
  std::shared_ptr<const ProcessInfo> read(std::uint32_t tgid, std::uint32_t uid, std::string_view comm);

  std::string proc_root_;
  std::size_t capacity_;
  std::unordered_map<Key, std::shared_ptr<const ProcessInfo>, KeyHash> entries_;
  UserNames users_;
  std::uint64_t hits_ = 0;
  std::uint64_t misses_ = 0;
};

struct HostIdentity {
  std::string host;  // gethostname()
  std::string node;  // NODE_NAME (Kubernetes downward API), "" when unset
  // node_env: the value of NODE_NAME, or nullptr to read the environment.
  static HostIdentity from_system(const char* node_env = nullptr);
};

}  // namespace badip::enrich
