// `badip tail`: watch TCP connections live, one line (or JSON object) per event.
#include <signal.h>

#include <chrono>
#include <csignal>
#include <cstdio>
#include <optional>
#include <string>

#include <fmt/core.h>

#include "cli/commands.h"
#include "probe/decode.h"
#include "probe/filter.h"
#include "probe/probe.h"

namespace badip::cli {

namespace {

volatile std::sig_atomic_t g_stop = 0;

void on_signal(int) { g_stop = 1; }

struct TailArgs {
  bool json = false;
  std::string direction;
  std::optional<int> port;
  std::string remote;
  std::optional<std::uint64_t> count;
  std::optional<double> duration_s;
  std::string attach_mode = "auto";
  bool include_loopback = false;
  bool libbpf_debug = false;
};

int run_tail(const TailArgs& args) {
  EventFilter filter;
  if (args.direction == "in") filter.direction = Direction::In;
  if (args.direction == "out") filter.direction = Direction::Out;
  if (args.port) filter.port = static_cast<std::uint16_t>(*args.port);
  if (!args.remote.empty()) {
    auto cidr = Cidr::parse(args.remote);
    if (!cidr) {
      fmt::print(stderr, "badip tail: --remote: {}\n", cidr.error().message());
      return 2;
    }
    filter.remote = *cidr;
  }
  auto mode = parse_attach_mode(args.attach_mode);
  if (!mode) {
    fmt::print(stderr, "badip tail: --attach-mode: {}\n", mode.error().message());
    return 2;
  }

  // Installed before the probe announces itself, so a signal right after
  // "attached" still ends with the summary. No SA_RESTART: a signal
  // interrupts the ring-buffer wait at once.
  struct sigaction sa {};
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);

  ProbeOptions opts;
  opts.mode = *mode;
  opts.include_loopback = args.include_loopback;
  opts.libbpf_debug = args.libbpf_debug;
  opts.log = [](std::string_view line) { fmt::print(stderr, "badip: {}\n", line); };
  auto probe = Probe::open(opts);
  if (!probe) {
    fmt::print(stderr, "badip tail: {}\n", probe.error().message());
    return 1;
  }

  using Clock = std::chrono::steady_clock;
  std::optional<Clock::time_point> deadline;
  if (args.duration_s)
    deadline = Clock::now() + std::chrono::duration_cast<Clock::duration>(
                                  std::chrono::duration<double>(*args.duration_s));

  std::uint64_t seen = 0, shown = 0;
  bool done = args.count && *args.count == 0;
  std::function<void(const ConnEvent&)> on_event = [&](const ConnEvent& e) {
    ++seen;
    if (done || !filter.matches(e)) return;
    std::string line = args.json ? format_json(e) : format_text(e);
    std::fputs(line.c_str(), stdout);
    std::fputc('\n', stdout);
    std::fflush(stdout);
    ++shown;
    if (args.count && shown >= *args.count) done = true;
  };
  int rc = 0;
  while (!g_stop && !done) {
    int timeout_ms = 200;
    if (deadline) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(*deadline - Clock::now());
      if (left.count() <= 0) break;
      timeout_ms = static_cast<int>(std::min<long>(left.count(), timeout_ms));
    }
    auto n = (*probe)->poll(timeout_ms, on_event);
    if (!n) {
      fmt::print(stderr, "badip tail: {}\n", n.error().message());
      rc = 1;
      break;
    }
  }
  fmt::print(stderr, "badip tail: {} events seen, {} shown, {} dropped ({} mode)\n", seen, shown,
             (*probe)->dropped() + (*probe)->decode_errors(), to_string((*probe)->mode()));
  return rc;
}

}  // namespace

void register_tail(CLI::App& app, int& exit_code) {
  auto args = std::make_shared<TailArgs>();
  auto* cmd = app.add_subcommand("tail", "Watch TCP connections live (needs root)");
  cmd->add_flag("--json", args->json, "One JSON object per line");
  cmd->add_option("--direction", args->direction, "Only inbound or outbound connections")
      ->check(CLI::IsMember({"in", "out"}));
  cmd->add_option("--port", args->port, "Only connections with this local or remote port")
      ->check(CLI::Range(0, 65535));
  cmd->add_option("--remote", args->remote, "Only remote addresses in this CIDR");
  cmd->add_option("--count", args->count, "Stop after N events");
  cmd->add_option("--duration", args->duration_s, "Stop after SECS seconds")
      ->check(CLI::NonNegativeNumber);
  cmd->add_option("--attach-mode", args->attach_mode, "auto, fentry, kprobe or tracepoint")
      ->check(CLI::IsMember({"auto", "fentry", "kprobe", "tracepoint"}));
  cmd->add_flag("--include-loopback", args->include_loopback,
                "Also show loopback connections (skipped in the kernel by default)");
  cmd->add_flag("--libbpf-debug", args->libbpf_debug, "Show libbpf's warnings while attaching");
  cmd->callback([args, &exit_code] { exit_code = run_tail(*args); });
}

}  // namespace badip::cli
