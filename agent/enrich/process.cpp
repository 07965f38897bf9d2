#include "enrich/process.h"

#include <pwd.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <vector>

namespace badip::enrich {
namespace {

bool is_hex_id(std::string_view s) {
  if (s.size() != 64) return false;
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

// One path component -> container id, or "".
std::string_view id_from_component(std::string_view c) {
  if (is_hex_id(c)) return c;
  constexpr std::string_view kScope = ".scope";
  if (c.size() > kScope.size() && c.substr(c.size() - kScope.size()) == kScope) {
    c.remove_suffix(kScope.size());
  }
  // conmon is cri-o's monitor process, not the container itself
  if (c.starts_with("crio-conmon-")) return {};
  for (std::string_view prefix : {"docker-", "cri-containerd-", "crio-", "libpod-", "containerd-"}) {
    if (c.starts_with(prefix) && is_hex_id(c.substr(prefix.size()))) return c.substr(prefix.size());
  }
  return {};
}

std::string_view id_from_path(std::string_view path) {
  // The innermost component names the container; walk from the end.
  while (!path.empty()) {
    auto slash = path.rfind('/');
    std::string_view comp = slash == std::string_view::npos ? path : path.substr(slash + 1);
    if (auto id = id_from_component(comp); !id.empty()) return id;
    if (slash == std::string_view::npos) break;
    path = path.substr(0, slash);
  }
  return {};
}

std::string read_file(const std::string& path, std::size_t limit = 64 * 1024) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return {};
  std::string out;
  out.resize(limit);
  in.read(out.data(), static_cast<std::streamsize>(limit));
  out.resize(static_cast<std::size_t>(in.gcount()));
  return out;
}

}  // namespace

std::string parse_container_id(std::string_view text) {
  std::string_view v1_match;
  while (!text.empty()) {
    auto nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view{} : text.substr(nl + 1);
    // hierarchy-id:controllers:path; the path may itself contain ':'
    auto c1 = line.find(':');
    if (c1 == std::string_view::npos) continue;
    auto c2 = line.find(':', c1 + 1);
    if (c2 == std::string_view::npos) continue;
    std::string_view hier = line.substr(0, c1);
    std::string_view controllers = line.substr(c1 + 1, c2 - c1 - 1);
    std::string_view path = line.substr(c2 + 1);
    auto id = id_from_path(path);
    if (hier == "0" && controllers.empty()) {
      if (!id.empty()) return std::string(id);
      continue;
    }
    if (v1_match.empty()) v1_match = id;
  }
  return std::string(v1_match);
}

std::string join_cmdline(std::string_view raw) {
  while (!raw.empty() && raw.back() == '\0') raw.remove_suffix(1);
  std::string out(raw);
  for (char& c : out) {
    if (c == '\0') c = ' ';
  }
  return out;
}

const std::string& UserNames::name(std::uint32_t uid) {
  auto it = names_.find(uid);
  if (it != names_.end()) return it->second;
  std::string name = std::to_string(uid);
  passwd pw{};
  passwd* res = nullptr;
  std::vector<char> buf(4096);
  if (getpwuid_r(uid, &pw, buf.data(), buf.size(), &res) == 0 && res != nullptr) name = pw.pw_name;
  return names_.emplace(uid, std::move(name)).first->second;
}

std::size_t ProcessCache::KeyHash::operator()(const Key& k) const {
  std::uint64_t h = k.tgid * 0x9E3779B97F4A7C15ull;
  h ^= (k.cgroup_id + 0x632BE59BD9B4E019ull + (h << 6) + (h >> 2));
  h ^= k.uid * 0xC2B2AE3D27D4EB4Full;
  std::uint64_t c0, c1;
  std::memcpy(&c0, k.comm, 8);
  std::memcpy(&c1, k.comm + 8, 8);
  h ^= c0 * 0x165667B19E3779F9ull;
  h ^= (c1 + 0x27D4EB2F165667C5ull) * 0x9E3779B97F4A7C15ull;
  return static_cast<std::size_t>(h ^ (h >> 29));
}

ProcessCache::ProcessCache(std::string proc_root, std::size_t capacity)
    : proc_root_(std::move(proc_root)), capacity_(capacity) {}

std::shared_ptr<const ProcessInfo> ProcessCache::lookup(std::uint32_t tgid, std::uint32_t uid,
                                                        std::string_view comm,
                                                        std::uint64_t cgroup_id) {
  // comm and cgroup are part of the key: a reused pid usually differs in one
  // of them, which makes us read /proc again instead of reporting a stranger.
  Key key{tgid, uid, cgroup_id, {}};
  std::memcpy(key.comm, comm.data(), std::min<std::size_t>(comm.size(), sizeof(key.comm)));
  if (auto it = entries_.find(key); it != entries_.end()) {
    ++hits_;
    return it->second;
  }
  ++misses_;
  if (entries_.size() >= capacity_) entries_.clear();  // simple bound; refills from /proc
  auto info = read(tgid, uid, comm);
  entries_.emplace(key, info);
  return info;
}

void ProcessCache::forget(std::uint32_t tgid) {
  std::erase_if(entries_, [tgid](const auto& kv) { return kv.first.tgid == tgid; });
}

std::shared_ptr<const ProcessInfo> ProcessCache::read(std::uint32_t tgid, std::uint32_t uid,
                                                      std::string_view comm) {
  auto info = std::make_shared<ProcessInfo>();
  info->pid = tgid;
  info->uid = uid;
  info->comm = std::string(comm);
  info->user = users_.name(uid);
  if (tgid == 0) return info;  // Owner::Unknown: nothing to read
  std::string base = proc_root_ + "/" + std::to_string(tgid);
  char target[4096];
  ssize_t n = readlink((base + "/exe").c_str(), target, sizeof(target) - 1);
  std::string cmdline = read_file(base + "/cmdline");
  std::string cgroup = read_file(base + "/cgroup");
  if (n <= 0 && cmdline.empty() && cgroup.empty()) return info;  // gone: kernel data only
  info->from_proc = true;
  if (n > 0) info->exe.assign(target, static_cast<std::size_t>(n));
  info->cmdline = join_cmdline(cmdline);
  info->container_id = parse_container_id(cgroup);
  if (info->comm.empty()) {
    std::string c = read_file(base + "/comm", 64);
    while (!c.empty() && c.back() == '\n') c.pop_back();
    info->comm = c;
  }
  return info;
}

HostIdentity HostIdentity::from_system(const char* node_env) {
  HostIdentity id;
  char buf[256] = {};
  if (gethostname(buf, sizeof(buf) - 1) == 0) id.host = buf;
  if (node_env == nullptr) node_env = std::getenv("NODE_NAME");
  if (node_env != nullptr) id.node = node_env;
  return id;
}

}  // namespace badip::enrich
