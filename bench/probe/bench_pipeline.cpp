// The whole pipeline under load: a bounded loopback connection loop, first
// with no probe, then with the probe attached (--include-loopback) and a
// consumer thread draining the ring buffer. Prints figures; asserts nothing.
//
//   bench_pipeline [--connections N] [--max-seconds S] [--attach-mode M]
#include <netinet/in.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <arpa/inet.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>

#include "probe/decode.h"
#include "probe/probe.h"

namespace {

struct LoopResult {
  long connections = 0;
  double seconds = 0;
  long failures = 0;
};

double now_s() {
  timespec t{};
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec + t.tv_nsec / 1e9;
}

double thread_cpu_s() {
  timespec t{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return t.tv_sec + t.tv_nsec / 1e9;
}

// connect -> accept -> close both, on 127.0.0.1, in one thread: the kernel
// completes the loopback handshake inside connect(). The client resets
// (SO_LINGER 0) so no TIME_WAIT piles up and ports never run out.
LoopResult connection_loop(long count, double max_seconds) {
  LoopResult r;
  int lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(a);
  if (lfd < 0 || bind(lfd, reinterpret_cast<sockaddr*>(&a), len) != 0 || listen(lfd, 1024) != 0 ||
      getsockname(lfd, reinterpret_cast<sockaddr*>(&a), &len) != 0) {
    std::perror("bench: listener");
    std::exit(2);
  }
  linger lg{1, 0};
  double start = now_s();
  for (long i = 0; i < count; ++i) {
    if ((i & 255) == 0 && now_s() - start > max_seconds) break;
    int c = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (c < 0 || connect(c, reinterpret_cast<sockaddr*>(&a), sizeof(a)) != 0) {
      ++r.failures;
      if (c >= 0) close(c);
      continue;
    }
    int s = accept4(lfd, nullptr, nullptr, SOCK_CLOEXEC);
    setsockopt(c, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
    close(c);
    if (s >= 0) close(s);
    ++r.connections;
  }
  r.seconds = now_s() - start;
  close(lfd);
  return r;
}

}  // namespace

int main(int argc, char** argv) {
  long count = 20000;
  double max_seconds = 20;
  std::string mode_name = "auto";
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string k = argv[i];
    if (k == "--connections") count = std::atol(argv[i + 1]);
    else if (k == "--max-seconds") max_seconds = std::atof(argv[i + 1]);
    else if (k == "--attach-mode") mode_name = argv[i + 1];
    else {
      std::fprintf(stderr, "usage: bench_pipeline [--connections N] [--max-seconds S] [--attach-mode M]\n");
      return 2;
    }
  }
  auto mode = badip::parse_attach_mode(mode_name);
  if (!mode) {
    std::fprintf(stderr, "bench: %s\n", mode.error().message().c_str());
    return 2;
  }

  connection_loop(500, max_seconds);  // warm-up: caches, allocator, TCP hash tables
  LoopResult bare = connection_loop(count, max_seconds);

  badip::ProbeOptions opts;
  opts.mode = *mode;
  opts.include_loopback = true;
  opts.ringbuf_bytes = 8u << 20;
  opts.log = [](std::string_view) {};
  auto probe = badip::Probe::open(opts);
  if (!probe) {
    std::fprintf(stderr, "bench: %s\n", probe.error().message().c_str());
    return 1;
  }

  std::atomic<bool> stop{false};
  std::atomic<long> events{0};
  double consumer_cpu = 0;
  std::thread consumer([&] {
    double cpu0 = thread_cpu_s();
    long n = 0;
    std::function<void(const badip::ConnEvent&)> count_it = [&](const badip::ConnEvent&) { ++n; };
    while (!stop.load(std::memory_order_relaxed)) {
      if (!(*probe)->poll(50, count_it)) break;
    }
    // Drain what is still queued.
    while (true) {
      auto got = (*probe)->poll(0, count_it);
      if (!got || *got == 0) break;
    }
    consumer_cpu = thread_cpu_s() - cpu0;
    events = n;
  });
  LoopResult probed = connection_loop(count, max_seconds);
  double t_end = now_s();
  stop = true;
  consumer.join();
  double drain_s = now_s() - t_end;

  double bare_rate = bare.connections / bare.seconds;
  double probed_rate = probed.connections / probed.seconds;
  long ev = events.load();
  std::printf("attach mode:                 %s\n", std::string(badip::to_string((*probe)->mode())).c_str());
  std::printf("connections without probe:   %ld in %.3f s = %.0f conn/s\n", bare.connections,
              bare.seconds, bare_rate);
  std::printf("connections with badip:      %ld in %.3f s = %.0f conn/s\n", probed.connections,
              probed.seconds, probed_rate);
  std::printf("ratio (with/without):        %.3f\n", probed_rate / bare_rate);
  std::printf("events delivered:            %ld (%.2f per connection; 4 expected: open+close x in+out)\n",
              ev, probed.connections ? double(ev) / probed.connections : 0.0);
  std::printf("events/s delivered:          %.0f\n", ev / (probed.seconds + drain_s));
  std::printf("events dropped (ring full):  %llu\n",
              static_cast<unsigned long long>((*probe)->dropped()));
  std::printf("decode errors:               %llu\n",
              static_cast<unsigned long long>((*probe)->decode_errors()));
  std::printf("agent CPU per event:         %.0f ns (consumer thread %.3f s)\n",
              ev ? consumer_cpu * 1e9 / ev : 0.0, consumer_cpu);
  if (bare.failures || probed.failures)
    std::printf("connect failures:            %ld without, %ld with\n", bare.failures, probed.failures);
  return 0;
}
