#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdio>
#include <filesystem>
#include <fstream>

#include "enrich/process.h"

using badip::enrich::parse_container_id;

namespace {
const std::string kId = "3f1c0b5e8d9a7c6b5a4f3e2d1c0b9a8f7e6d5c4b3a2f1e0d9c8b7a6f5e4d3c2b";
}

TEST_CASE("container id: docker cgroupfs driver, cgroup v1") {
  std::string text = "12:memory:/docker/" + kId + "\n11:cpu,cpuacct:/docker/" + kId + "\n1:name=systemd:/docker/" + kId + "\n";
  CHECK(parse_container_id(text) == kId);
}

TEST_CASE("container id: docker systemd driver, cgroup v2") {
  CHECK(parse_container_id("0::/system.slice/docker-" + kId + ".scope\n") == kId);
}

TEST_CASE("container id: containerd under kubepods, systemd driver") {
  CHECK(parse_container_id("0::/kubepods.slice/kubepods-burstable.slice/"
                           "kubepods-burstable-pod1a2b3c4d_5e6f_7a8b_9c0d_1e2f3a4b5c6d.slice/"
                           "cri-containerd-" + kId + ".scope\n") == kId);
}

TEST_CASE("container id: containerd under kubepods, cgroupfs driver, v1") {
  CHECK(parse_container_id("4:pids:/kubepods/besteffort/pod1a2b3c4d-5e6f-7a8b-9c0d-1e2f3a4b5c6d/" + kId + "\n") == kId);
}

TEST_CASE("container id: cri-o, and its conmon scope is not the container") {
  CHECK(parse_container_id("0::/kubepods.slice/kubepods-pod1.slice/crio-" + kId + ".scope\n") == kId);
  CHECK(parse_container_id("0::/kubepods.slice/kubepods-pod1.slice/crio-conmon-" + kId + ".scope\n") == "");
}

TEST_CASE("container id: podman libpod scope, with a nested container cgroup") {
  CHECK(parse_container_id("0::/machine.slice/libpod-" + kId + ".scope/container\n") == kId);
}

TEST_CASE("container id: host processes have none") {
  CHECK(parse_container_id("0::/user.slice/user-1000.slice/session-3.scope\n") == "");
  CHECK(parse_container_id("0::/system.slice/ssh.service\n") == "");
  CHECK(parse_container_id("") == "");
  CHECK(parse_container_id("garbage without colons\n") == "");
}

TEST_CASE("container id: hybrid layout, the v2 line wins over v1") {
  std::string other(64, 'a');
  std::string text = "5:memory:/docker/" + other + "\n0::/system.slice/docker-" + kId + ".scope\n";
  CHECK(parse_container_id(text) == kId);
  // a v2 line without id falls back to the v1 match
  CHECK(parse_container_id("5:memory:/docker/" + other + "\n0::/\n") == other);
}

TEST_CASE("cmdline joins argv") {
  using namespace std::string_literals;
  CHECK(badip::enrich::join_cmdline("nginx: master\0-g\0daemon off;\0"s) == "nginx: master -g daemon off;");
  CHECK(badip::enrich::join_cmdline("") == "");
}

TEST_CASE("process cache reads /proc once per process") {
  badip::enrich::ProcessCache cache;
  auto self = static_cast<std::uint32_t>(getpid());
  auto a = cache.lookup(self, getuid(), "test_enrich", 7);
  CHECK(a->from_proc);
  CHECK(a->pid == self);
  CHECK(a->exe.find("test_enrich") != std::string::npos);
  CHECK(a->cmdline.find("test_enrich") != std::string::npos);
  CHECK(a->comm == "test_enrich");
  auto b = cache.lookup(self, getuid(), "test_enrich", 7);
  CHECK(a.get() == b.get());
  CHECK(cache.hits() == 1);
  CHECK(cache.misses() == 1);
  // a different comm for the same pid is a different process (pid reuse)
  auto c = cache.lookup(self, getuid(), "other", 7);
  CHECK(c.get() != a.get());
  CHECK(cache.misses() == 2);
  cache.forget(self);
  CHECK(cache.size() == 0);
}

TEST_CASE("a process that is gone keeps the kernel's identity") {
  namespace fs = std::filesystem;
  fs::path root = fs::temp_directory_path() / ("badip-proc-" + std::to_string(getpid()));
  fs::create_directories(root);
  badip::enrich::ProcessCache cache(root.string());
  auto p = cache.lookup(4242, 0, "curl", 1);
  CHECK_FALSE(p->from_proc);
  CHECK(p->pid == 4242);
  CHECK(p->comm == "curl");
  CHECK(p->user == "root");
  CHECK(p->exe == "");
  // a fake /proc entry: cmdline and cgroup are read from the given root
  fs::create_directories(root / "77");
  std::ofstream(root / "77" / "cmdline", std::ios::binary) << std::string("sshd\0-D\0", 8);
  std::ofstream(root / "77" / "cgroup") << "0::/system.slice/docker-" << kId << ".scope\n";
  auto q = cache.lookup(77, 4294967290u, "sshd", 1);
  CHECK(q->from_proc);
  CHECK(q->cmdline == "sshd -D");
  CHECK(q->container_id == kId);
  CHECK(q->user == "4294967290");
  fs::remove_all(root);
}

TEST_CASE("host identity") {
  auto id = badip::enrich::HostIdentity::from_system("node-7");
  CHECK(id.node == "node-7");
  CHECK_FALSE(id.host.empty());
}
