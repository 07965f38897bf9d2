#include "sshd_lab.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

namespace badip::test {

namespace {

// A port that is free on `addr` right now (the kernel picks it).
Result<std::uint16_t> free_port(const char* addr) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return Error::from_errno("socket");
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  ::inet_pton(AF_INET, addr, &sa.sin_addr);
  socklen_t len = sizeof(sa);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof(sa)) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&sa), &len) != 0) {
    Error e = Error::from_errno(std::string("bind ") + addr);
    ::close(fd);
    return e;
  }
  ::close(fd);
  return ntohs(sa.sin_port);
}

std::string read_all(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace

Result<std::unique_ptr<SshdLab>> SshdLab::start(const Lab& lab) {
  std::unique_ptr<SshdLab> s(new SshdLab(lab));
  std::string t = (std::filesystem::temp_directory_path() / "badip-sshd-XXXXXX").string();
  if (!::mkdtemp(t.data())) return Error::from_errno("mkdtemp");
  s->dir_ = t;
  s->log_ = s->dir_ + "/sshd.log";
  s->key_ = s->dir_ + "/client_ed25519";

  // sshd's privilege-separation directory.
  if (::mkdir("/run/sshd", 0755) == 0) {
    s->made_run_sshd_ = true;
  } else if (errno != EEXIST) {
    return Error::from_errno("mkdir /run/sshd");
  }
  for (const auto& [file, comment] : {std::pair{s->dir_ + "/host_ed25519", "badip-test-host"},
                                      std::pair{s->key_, "badip-test-client"}}) {
    auto r = run_command({"ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", comment, "-f", file});
    if (r.exit_code != 0) return Error{0, "ssh-keygen: " + r.err};
  }
  {
    std::ofstream ak(s->dir_ + "/authorized_keys");
    ak << read_all(s->key_ + ".pub");
    if (!ak) return Error{EIO, "write authorized_keys"};
  }
  // A port taken between free_port() and sshd's bind makes sshd exit: try again.
  Status last;
  for (int attempt = 0; attempt < 3; ++attempt) {
    last = s->launch();
    if (last) return s;
  }
  return last.error();
}

Status SshdLab::launch() {
  auto port = free_port(Lab::kRootV4);
  if (!port) return port.error();
  port_ = *port;
  std::string cfg = dir_ + "/sshd_config";
  {
    std::ofstream c(cfg);
    c << "Port " << port_ << "\n"
      << "ListenAddress " << Lab::kRootV4 << "\n"
      << "HostKey " << dir_ << "/host_ed25519\n"
      << "PidFile " << dir_ << "/sshd.pid\n"
      << "UsePAM no\n"
      << "PermitRootLogin yes\n"
      << "PasswordAuthentication yes\n"
      << "KbdInteractiveAuthentication no\n"
      << "PubkeyAuthentication yes\n"
      << "AuthorizedKeysFile " << dir_ << "/authorized_keys\n"
      // the temp dir lives under world-writable /tmp, which StrictModes refuses
      << "StrictModes no\n"
      << "UseDNS no\n"
      << "LogLevel VERBOSE\n";
    if (!c) return Error{EIO, "write " + cfg};
  }
  sshd_.reset();
  ::truncate(log_.c_str(), 0);
  // sshd re-executes itself, so it must be started by its absolute path.
  auto p = Subprocess::start({"/usr/sbin/sshd", "-D", "-f", cfg, "-E", log_});
  if (!p) return p.error();
  sshd_ = std::move(*p);
  std::string ready = "Server listening on " + std::string(Lab::kRootV4) + " port " +
                      std::to_string(port_);
  // Bounded wait for sshd to listen (this is a lab helper, not a unit test).
  for (int i = 0; i < 500; ++i) {
    std::string log = read_all(log_);
    if (log.find(ready) != std::string::npos) return {};
    if (log.find("Cannot bind") != std::string::npos || log.find("fatal") != std::string::npos) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  std::string why = read_all(log_);
  sshd_.reset();
  return Error{0, "sshd did not start: " + why};
}

std::vector<std::string> SshdLab::ssh_common() const {
  return {"-F", "/dev/null", "-o", "StrictHostKeyChecking=no", "-o",
          "UserKnownHostsFile=/dev/null", "-o", "ConnectTimeout=5", "-o", "LogLevel=ERROR",
          "-p", std::to_string(port_)};
}

CommandResult SshdLab::login_with_password(const std::string& password) const {
  std::vector<std::string> argv{"sshpass", "-p", password, "ssh"};
  auto common = ssh_common();
  argv.insert(argv.end(), common.begin(), common.end());
  for (const char* o : {"PreferredAuthentications=password", "PubkeyAuthentication=no",
                        "NumberOfPasswordPrompts=1"}) {
    argv.push_back("-o");
    argv.push_back(o);
  }
  argv.push_back(std::string(kUser) + "@" + Lab::kRootV4);
  argv.push_back("true");
  return lab_.run_in_ns(argv, std::chrono::seconds(20));
}

CommandResult SshdLab::login_with_key(const std::string& command) const {
  std::vector<std::string> argv{"ssh"};
  auto common = ssh_common();
  argv.insert(argv.end(), common.begin(), common.end());
  for (std::string o : {std::string("IdentitiesOnly=yes"), std::string("BatchMode=yes"),
                        std::string("PreferredAuthentications=publickey")}) {
    argv.push_back("-o");
    argv.push_back(o);
  }
  argv.push_back("-i");
  argv.push_back(key_);
  argv.push_back(std::string(kUser) + "@" + Lab::kRootV4);
  argv.push_back(command);
  return lab_.run_in_ns(argv, std::chrono::seconds(20));
}

SshdLab::~SshdLab() {
  if (sshd_) {
    sshd_->signal(SIGTERM);
    sshd_->finish(std::chrono::seconds(5));  // killed past the timeout
    sshd_.reset();
  }
  std::error_code ec;
  if (!dir_.empty()) std::filesystem::remove_all(dir_, ec);
  if (made_run_sshd_) ::rmdir("/run/sshd");
}

}  // namespace badip::test
