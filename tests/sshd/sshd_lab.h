#pragma once
// SshdLab: a real OpenSSH server for kernel/end-to-end tests (../shared/LAB.md
// "Real peers"), beside the lab's veth pair:
//
//   root namespace                            lab namespace
//   /usr/sbin/sshd -D -f DIR/sshd_config       ssh / sshpass from 203.0.113.66
//     ListenAddress 192.0.2.1:<free port>  ◄─── login_with_password() / login_with_key()
//     -E DIR/sshd.log  (bare lines, no syslog prefix; LogLevel VERBOSE)
//     own HostKey, PidFile, UsePAM no, AuthorizedKeysFile DIR/authorized_keys
//
// The client key pair is made by the test and authorized for root only in
// DIR/authorized_keys. The destructor kills sshd and removes DIR (and
// /run/sshd if it created it), also when the test failed.
//
//   auto lab = badip::test::Lab::create();             // REQUIRE(lab.ok())
//   auto sshd = badip::test::SshdLab::start(**lab);    // REQUIRE(sshd.ok())
//   follow (*sshd)->log_path() ...
//   (*sshd)->login_with_password("wrong");             // fails: exit code 5
//   (*sshd)->login_with_key();                         // runs `true`: exit code 0
#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <string>

#include "badip/result.h"
#include "lab/lab.h"

namespace badip::test {

class SshdLab {
 public:
  static constexpr const char* kUser = "root";

  // Starts sshd bound to Lab::kRootV4 on a free port and waits (bounded) until it listens.
  static Result<std::unique_ptr<SshdLab>> start(const Lab& lab);
  ~SshdLab();
  SshdLab(const SshdLab&) = delete;
  SshdLab& operator=(const SshdLab&) = delete;

  const std::string& log_path() const { return log_; }
  const std::string& dir() const { return dir_; }
  std::uint16_t port() const { return port_; }
  pid_t pid() const { return sshd_ ? sshd_->pid() : -1; }

  // One login from the lab namespace as kUser with this password (sshpass).
  CommandResult login_with_password(const std::string& password) const;
  // One login from the lab namespace with the authorized key, running `command`.
  CommandResult login_with_key(const std::string& command = "true") const;

 private:
  explicit SshdLab(const Lab& lab) : lab_(lab) {}
  Status launch();
  std::vector<std::string> ssh_common() const;

  const Lab& lab_;
  std::string dir_, log_, key_;
  std::uint16_t port_ = 0;
  bool made_run_sshd_ = false;
  std::unique_ptr<Subprocess> sshd_;
};

}  // namespace badip::test
