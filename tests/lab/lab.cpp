#include "lab/lab.h"

#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/syscall.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace badip::test {

namespace {

constexpr const char* kLockPath = "/run/badip-testlab.lock";
constexpr const char* kNetnsDir = "/var/run/netns";
constexpr const char* kNsPrefix = "badiplab-";

int exit_code_of(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return -1;
}

// Waits for `pid` to exit without polling loops: a pidfd becomes readable at
// exit. Returns true (and the wait status) if it exited within the timeout.
bool wait_exit(pid_t pid, std::chrono::milliseconds timeout, int& status) {
  // glibc 2.36 declares pidfd_open without C linkage for C++; use the syscall.
  int pfd = static_cast<int>(syscall(SYS_pidfd_open, pid, 0));
  if (pfd >= 0) {
    pollfd p{pfd, POLLIN, 0};
    int rc;
    do {
      rc = poll(&p, 1, static_cast<int>(timeout.count()));
    } while (rc < 0 && errno == EINTR);
    close(pfd);
    if (rc == 0) return false;
  }
  while (waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) return false;
  }
  return true;
}

std::vector<char*> to_argv(const std::vector<std::string>& args) {
  std::vector<char*> v;
  for (const auto& a : args) v.push_back(const_cast<char*>(a.c_str()));
  v.push_back(nullptr);
  return v;
}

// Runs an `ip` command; returns its stderr as the error.
Status ip(const std::vector<std::string>& args) {
  std::vector<std::string> argv{"ip"};
  argv.insert(argv.end(), args.begin(), args.end());
  CommandResult r = run_command(argv, 10s);
  if (r.exit_code != 0) {
    std::string cmd;
    for (const auto& a : argv) cmd += (cmd.empty() ? "" : " ") + a;
    return Error{0, "lab: `" + cmd + "` failed: " + r.err};
  }
  return {};
}

}  // namespace

// ---------------------------------------------------------------- Subprocess

Result<std::unique_ptr<Subprocess>> Subprocess::start(const std::vector<std::string>& argv) {
  if (argv.empty()) return Error{EINVAL, "subprocess: empty argv"};
  int out[2], err[2];
  if (pipe2(out, O_CLOEXEC) != 0) return Error::from_errno("subprocess: pipe");
  if (pipe2(err, O_CLOEXEC) != 0) {
    Error e = Error::from_errno("subprocess: pipe");
    close(out[0]);
    close(out[1]);
    return e;
  }
  auto args = to_argv(argv);
  pid_t pid = fork();
  if (pid < 0) {
    Error e = Error::from_errno("subprocess: fork");
    for (int fd : {out[0], out[1], err[0], err[1]}) close(fd);
    return e;
  }
  if (pid == 0) {
    // Own process group: a timeout kills whatever the command started too.
    setpgid(0, 0);
    int devnull = open("/dev/null", O_RDONLY);
    if (devnull >= 0) dup2(devnull, 0);
    dup2(out[1], 1);
    dup2(err[1], 2);
    execvp(args[0], args.data());
    dprintf(2, "exec %s: %s\n", args[0], strerror(errno));
    _exit(127);
  }
  close(out[1]);
  close(err[1]);
  std::unique_ptr<Subprocess> p(new Subprocess());
  p->pid_ = pid;
  p->reader_ = std::thread([s = p.get(), o = out[0], e = err[0]] { s->reader_loop(o, e); });
  return p;
}

void Subprocess::reader_loop(int out_fd, int err_fd) {
  pollfd fds[2] = {{out_fd, POLLIN, 0}, {err_fd, POLLIN, 0}};
  int open_fds = 2;
  char buf[4096];
  while (open_fds > 0) {
    if (poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      break;
    }
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || fds[i].revents == 0) continue;
      ssize_t n = read(fds[i].fd, buf, sizeof(buf));
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        close(fds[i].fd);
        fds[i].fd = -1;
        --open_fds;
        continue;
      }
      std::lock_guard lock(mu_);
      (i == 0 ? out_ : err_).append(buf, static_cast<std::size_t>(n));
      cv_.notify_all();
    }
  }
  for (auto& f : fds)
    if (f.fd >= 0) close(f.fd);
  std::lock_guard lock(mu_);
  eof_ = true;
  cv_.notify_all();
}

bool Subprocess::wait_for_output(std::string_view needle, std::chrono::milliseconds timeout) {
  std::unique_lock lock(mu_);
  return cv_.wait_for(lock, timeout, [&] {
    return out_.find(needle) != std::string::npos || err_.find(needle) != std::string::npos ||
           eof_;
  }) && (out_.find(needle) != std::string::npos || err_.find(needle) != std::string::npos);
}

void Subprocess::signal(int sig) {
  if (!reaped_) kill(pid_, sig);
}

CommandResult Subprocess::finish(std::chrono::milliseconds timeout) {
  CommandResult r;
  if (!reaped_) {
    if (!wait_exit(pid_, timeout, status_)) {
      r.timed_out = true;
      kill(-pid_, SIGKILL);
      kill(pid_, SIGKILL);
      while (waitpid(pid_, &status_, 0) < 0 && errno == EINTR) {
      }
    }
    reaped_ = true;
    // Stragglers the command left in its group would hold the pipes open.
    kill(-pid_, SIGKILL);
  }
  if (reader_.joinable()) reader_.join();
  r.exit_code = exit_code_of(status_);
  std::lock_guard lock(mu_);
  r.out = out_;
  r.err = err_;
  return r;
}

std::string Subprocess::out() const {
  std::lock_guard lock(mu_);
  return out_;
}

std::string Subprocess::err() const {
  std::lock_guard lock(mu_);
  return err_;
}

Subprocess::~Subprocess() {
  if (!reaped_) {
    kill(-pid_, SIGKILL);
    kill(pid_, SIGKILL);
    while (waitpid(pid_, &status_, 0) < 0 && errno == EINTR) {
    }
    reaped_ = true;
  }
  if (reader_.joinable()) reader_.join();
}

CommandResult run_command(const std::vector<std::string>& argv, std::chrono::milliseconds timeout) {
  auto p = Subprocess::start(argv);
  if (!p) {
    CommandResult r;
    r.err = p.error().message();
    return r;
  }
  return (*p)->finish(timeout);
}

int wait_child(pid_t pid, std::chrono::milliseconds timeout) {
  if (pid <= 0) return -1;
  int status = 0;
  if (!wait_exit(pid, timeout, status)) {
    kill(pid, SIGKILL);
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    return -1;
  }
  return exit_code_of(status);
}

// ----------------------------------------------------------------------- Lab

Result<std::unique_ptr<Lab>> Lab::create(std::chrono::milliseconds lock_timeout) {
  if (geteuid() != 0) return Error{EPERM, "lab: needs root (network namespaces)"};
  std::unique_ptr<Lab> lab(new Lab());
  lab->lock_fd_ = open(kLockPath, O_CREAT | O_RDWR | O_CLOEXEC, 0600);
  if (lab->lock_fd_ < 0) return Error::from_errno(std::string("lab: open ") + kLockPath);
  // flock has no timeout of its own; the lab is held for seconds, so polling
  // the lock every 50 ms costs nothing.
  auto deadline = std::chrono::steady_clock::now() + lock_timeout;
  while (flock(lab->lock_fd_, LOCK_EX | LOCK_NB) != 0) {
    if (errno != EWOULDBLOCK && errno != EINTR) return Error::from_errno("lab: flock");
    if (std::chrono::steady_clock::now() > deadline)
      return Error{ETIMEDOUT, "lab: another test lab is still running (lock " +
                                  std::string(kLockPath) + ")"};
    usleep(50'000);
  }
  cleanup_stale();
  std::string pid = std::to_string(getpid());
  lab->netns_ = kNsPrefix + pid;
  lab->root_if_ = "blr" + pid;
  lab->ns_if_ = "bln" + pid;
  Status s = lab->build();
  if (!s) return s.error();  // ~Lab tears down what was built
  return lab;
}

Status Lab::build() {
  built_ = true;  // from here on the destructor cleans up, even half-built
  const std::string& ns = netns_;
  for (const std::vector<std::string>& cmd : std::vector<std::vector<std::string>>{
           {"netns", "add", ns},
           {"link", "add", root_if_, "type", "veth", "peer", "name", ns_if_, "netns", ns},
           {"addr", "add", std::string(kRootV4) + "/24", "dev", root_if_},
           {"-6", "addr", "add", std::string(kRootV6) + "/64", "dev", root_if_, "nodad"},
           {"link", "set", root_if_, "up"},
           {"route", "add", std::string(kNsV4) + "/32", "dev", root_if_},
           {"-6", "route", "add", "2001:db8:2::/64", "dev", root_if_},
           {"-n", ns, "link", "set", "lo", "up"},
           {"-n", ns, "addr", "add", std::string(kNsV4) + "/24", "dev", ns_if_},
           {"-n", ns, "-6", "addr", "add", std::string(kNsV6) + "/64", "dev", ns_if_, "nodad"},
           {"-n", ns, "link", "set", ns_if_, "up"},
           {"-n", ns, "route", "add", "default", "dev", ns_if_},
           {"-n", ns, "-6", "route", "add", "default", "dev", ns_if_},
       }) {
    Status s = ip(cmd);
    if (!s) return s;
  }
  return {};
}

void Lab::teardown() {
  if (!built_) return;
  // Deleting the namespace destroys its veth end and with it the pair and
  // the root side routes; the explicit link delete covers a half-built lab.
  run_command({"ip", "netns", "del", netns_}, 10s);
  run_command({"ip", "link", "del", root_if_}, 10s);
  built_ = false;
}

Lab::~Lab() {
  teardown();
  if (lock_fd_ >= 0) close(lock_fd_);  // releases the flock
}

void Lab::cleanup_stale() {
  if (DIR* d = opendir(kNetnsDir)) {
    std::vector<std::string> names;
    while (dirent* e = readdir(d)) {
      if (std::strncmp(e->d_name, kNsPrefix, std::strlen(kNsPrefix)) == 0)
        names.emplace_back(e->d_name);
    }
    closedir(d);
    for (const auto& n : names) run_command({"ip", "netns", "del", n}, 10s);
  }
  if (DIR* d = opendir("/sys/class/net")) {
    std::vector<std::string> names;
    while (dirent* e = readdir(d)) {
      if (std::strncmp(e->d_name, "blr", 3) == 0 || std::strncmp(e->d_name, "bln", 3) == 0)
        names.emplace_back(e->d_name);
    }
    closedir(d);
    for (const auto& n : names) run_command({"ip", "link", "del", n}, 10s);
  }
}

CommandResult Lab::run_in_ns(const std::vector<std::string>& argv,
                             std::chrono::milliseconds timeout) const {
  std::vector<std::string> full{"ip", "netns", "exec", netns_};
  full.insert(full.end(), argv.begin(), argv.end());
  return run_command(full, timeout);
}

Result<std::unique_ptr<Subprocess>> Lab::spawn_in_ns(const std::vector<std::string>& argv) const {
  std::vector<std::string> full{"ip", "netns", "exec", netns_};
  full.insert(full.end(), argv.begin(), argv.end());
  return Subprocess::start(full);
}

pid_t Lab::fork_in_ns(const std::function<int()>& fn, const char* comm) const {
  std::string path = std::string(kNetnsDir) + "/" + netns_;
  pid_t pid = fork();
  if (pid != 0) return pid;
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0 || setns(fd, CLONE_NEWNET) != 0) _exit(126);
  close(fd);
  prctl(PR_SET_NAME, comm, 0, 0, 0);
  _exit(fn());
}

Result<int> Lab::socket_in_ns(int domain, int type) const {
  std::string path = std::string(kNetnsDir) + "/" + netns_;
  int self = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
  if (self < 0) return Error::from_errno("lab: open own netns");
  int target = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (target < 0) {
    Error e = Error::from_errno("lab: open " + path);
    close(self);
    return e;
  }
  Result<int> result = Error{0, ""};
  if (setns(target, CLONE_NEWNET) != 0) {
    result = Error::from_errno("lab: setns " + netns_);
  } else {
    int fd = socket(domain, type | SOCK_CLOEXEC, 0);
    result = fd >= 0 ? Result<int>(fd) : Result<int>(Error::from_errno("lab: socket in ns"));
    // Coming back must not fail silently: the thread would stay in the lab.
    if (setns(self, CLONE_NEWNET) != 0) abort();
  }
  close(self);
  close(target);
  return result;
}

}  // namespace badip::test
