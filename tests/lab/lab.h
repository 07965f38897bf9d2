#pragma once
// Test lab: a throw-away "external host" for kernel tests (../shared/LAB.md).
//
//   root namespace                               lab namespace "badiplab-<pid>"
//   ┌───────────────────────────┐   veth pair   ┌──────────────────────────────┐
//   │ blr<pid>  192.0.2.1/24    ├───────────────┤ bln<pid>  203.0.113.66/24    │
//   │           2001:db8:1::1/64│               │           2001:db8:2::66/64  │
//   │ route 203.0.113.66/32     │               │ default route dev bln<pid>   │
//   │ route 2001:db8:2::/64     │               │ lo up                        │
//   └───────────────────────────┘               └──────────────────────────────┘
//
// Only documentation addresses are used, and they are routed to the veth alone,
// so nothing a test sends can leave the machine.
//
// Usage (a [kernel] test, as root):
//
//   auto lab = badip::test::Lab::create();
//   REQUIRE(lab.ok());                         // lab->error().message() says why not
//   // a client inside the namespace, as its own process named "labclient":
//   pid_t c = (*lab)->fork_in_ns([] { ...connect to 192.0.2.1...; return 0; }, "labclient");
//   int rc = badip::test::wait_child(c, std::chrono::seconds(10));
//   // or a socket created inside the namespace but owned by this process:
//   int fd = (*lab)->socket_in_ns(AF_INET, SOCK_STREAM).value();
//   // or a command:  (*lab)->run_in_ns({"ping", "-c1", "192.0.2.1"})
//
// Only one Lab exists on the machine at a time: create() takes an exclusive
// lock (/run/badip-testlab.lock) and waits for it, so test runs of several
// build directories do not fight over the addresses. Holding the lock, it
// removes any lab left behind by a process that died (stale-lab cleanup).
// The destructor deletes the namespace (which deletes the veth pair with it)
// and the root side routes, also when the test failed.
#include <sys/types.h>

#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "badip/result.h"

namespace badip::test {

using namespace std::chrono_literals;

struct CommandResult {
  int exit_code = -1;      // exit status; 128+signal when killed by a signal
  bool timed_out = false;  // killed because it ran past the timeout
  std::string out;
  std::string err;
};

// Runs argv (PATH lookup) with stdin from /dev/null, captures stdout and
// stderr, kills it with SIGKILL after `timeout`. Never throws.
CommandResult run_command(const std::vector<std::string>& argv,
                          std::chrono::milliseconds timeout = 10s);

// A background process whose output is collected while it runs.
// The destructor kills it (SIGKILL) if still running and reaps it.
class Subprocess {
 public:
  static Result<std::unique_ptr<Subprocess>> start(const std::vector<std::string>& argv);
  ~Subprocess();
  Subprocess(const Subprocess&) = delete;
  Subprocess& operator=(const Subprocess&) = delete;

  pid_t pid() const { return pid_; }
  // Waits until `needle` appears in stdout or stderr; false on timeout or exit.
  bool wait_for_output(std::string_view needle, std::chrono::milliseconds timeout);
  // Sends a signal (e.g. SIGINT to test clean shutdown).
  void signal(int sig);
  // Waits for exit; past the timeout the process is killed and timed_out set.
  CommandResult finish(std::chrono::milliseconds timeout);
  // Output so far.
  std::string out() const;
  std::string err() const;

 private:
  Subprocess() = default;
  void reader_loop(int out_fd, int err_fd);

  pid_t pid_ = -1;
  bool reaped_ = false;
  int status_ = 0;
  std::thread reader_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::string out_, err_;
  bool eof_ = false;
};

// Waits for a child from fork_in_ns(); returns its exit code (128+signal if
// killed), or -1 after killing it when it outlived the timeout.
int wait_child(pid_t pid, std::chrono::milliseconds timeout);

class Lab {
 public:
  static constexpr const char* kRootV4 = "192.0.2.1";
  static constexpr const char* kNsV4 = "203.0.113.66";
  static constexpr const char* kRootV6 = "2001:db8:1::1";
  static constexpr const char* kNsV6 = "2001:db8:2::66";

  // Builds the lab (root only). Waits up to `lock_timeout` for another lab.
  static Result<std::unique_ptr<Lab>> create(std::chrono::milliseconds lock_timeout = 120s);
  ~Lab();
  Lab(const Lab&) = delete;
  Lab& operator=(const Lab&) = delete;

  const std::string& netns() const { return netns_; }    // "badiplab-<pid>"
  const std::string& root_if() const { return root_if_; }
  const std::string& ns_if() const { return ns_if_; }

  // `ip netns exec <ns> argv...`, captured with a timeout.
  CommandResult run_in_ns(const std::vector<std::string>& argv,
                          std::chrono::milliseconds timeout = 10s) const;
  // `ip netns exec <ns> argv...` in the background.
  Result<std::unique_ptr<Subprocess>> spawn_in_ns(const std::vector<std::string>& argv) const;
  // Forks a child that enters the namespace, renames itself to `comm` (so it
  // can be told apart from the test process in events) and exits with fn()'s
  // return value. Returns the child's pid (or -1); reap it with wait_child().
  pid_t fork_in_ns(const std::function<int()>& fn, const char* comm = "labchild") const;
  // A socket created inside the namespace but owned by the calling process:
  // the calling thread enters the namespace just for socket() and comes back.
  Result<int> socket_in_ns(int domain, int type) const;


 private:
  // Removes labs left behind by processes that died; called holding the lock,
  // so every lab that exists then is a leftover.
  static void cleanup_stale();

  Lab() = default;
  Status build();
  void teardown();

  int lock_fd_ = -1;
  std::string netns_, root_if_, ns_if_;
  bool built_ = false;
};

}  // namespace badip::test
