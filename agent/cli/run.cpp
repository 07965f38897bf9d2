// `badip run`: the agent. Joins the live connections (probe) with the threat
// intel, attributes findings (enrich), folds them into the window summary,
// follows sshd's log for login outcomes, persists state and serves metrics.
//
// One thread does the work (ring buffer, sshd log, timers); intel reloads run
// on the intel watcher thread and publish snapshots the loop reads wait-free;
// the metrics server answers scrapes on its own threads.
//
// Start-up order matters: everything that can be wrong in the configuration
// (options, feeds, state dir, alert file, metrics port, ssh log) is checked
// before a single program is loaded into the kernel.
#include <csignal>
#include <filesystem>
#include <cstdlib>
#include <ctime>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <fmt/chrono.h>
#include <fmt/core.h>

#include "cli/commands.h"
#include "enrich/process.h"
#include "export/metrics.h"
#include "export/sinks.h"
#include "intel/intel.h"
#include "pipeline/pipeline.h"
#include "probe/probe.h"
#include "sshd/ssh_log_input.h"
#include "summary/summary.h"

namespace badip::cli {
namespace {

volatile std::sig_atomic_t g_stop = 0;
volatile std::sig_atomic_t g_reload = 0;

void on_stop_signal(int) { g_stop = 1; }
void on_hup(int) { g_reload = 1; }

struct RunOptions {
  intel::IntelOptions intel;
  std::string attach_mode = "auto";
  bool include_loopback = false;
  std::size_t ringbuf_kib = 4096;
  std::string window = "24h";
  std::string timezone = "UTC";
  std::uint64_t large_transfer_bytes = 10240;
  std::vector<std::string> public_services;
  std::string state_dir = "/var/lib/badip";
  std::string alert_file;
  bool alert_stdout = false;
  std::string metrics_address = ":9469";
  std::string ssh_log;
  std::string node_name;
  double run_for = 0;  // seconds; 0 = until signalled
  std::string config;  // expanded into flags before parsing (config_file.h)
};

void log_line(const std::string& msg) {
  std::timespec ts{};
  std::timespec_get(&ts, TIME_UTC);
  std::tm tm{};
  gmtime_r(&ts.tv_sec, &tm);
  fmt::print(stderr, "{:%Y-%m-%dT%H:%M:%S}Z badip: {}\n", tm, msg);
}

std::optional<AttachMode> parse_mode(const std::string& m, bool& ok) {
  ok = true;
  if (m == "auto") return std::nullopt;
  if (m == "fentry") return AttachMode::Fentry;
  if (m == "kprobe") return AttachMode::Kprobe;
  if (m == "tracepoint") return AttachMode::Tracepoint;
  ok = false;
  return std::nullopt;
}

// "" when HOST:PORT (HOST empty, an IPv4 address, a name, or [IPv6]) has a
// port in range; otherwise why not. The server reports what it cannot bind.
std::string check_metrics_address(const std::string& a) {
  if (a.empty() || a == "off") return "";
  auto colon = a.rfind(':');
  if (colon == std::string::npos) return "expected HOST:PORT, :PORT or 'off'";
  std::string port = a.substr(colon + 1);
  if (port.empty() || port.size() > 5 || port.find_first_not_of("0123456789") != std::string::npos ||
      std::stoul(port) > 65535)
    return fmt::format("'{}' is not a port (0..65535)", port);
  std::string host = a.substr(0, colon);
  if (host.find(':') != std::string::npos && !(host.front() == '[' && host.back() == ']'))
    return "an IPv6 address needs brackets: [ADDR]:PORT";
  return "";
}

const char* mode_name(AttachMode m) {
  switch (m) {
    case AttachMode::Fentry: return "fentry";
    case AttachMode::Kprobe: return "kprobe";
    case AttachMode::Tracepoint: return "tracepoint";
  }
  return "unknown";
}

constexpr const char* kSshPositionKey = "sshd.position";

int run_agent(RunOptions& o) {
  auto fail = [](const std::string& msg) {
    fmt::print(stderr, "badip run: {}\n", msg);
    return 2;
  };

  // 1. Options that need no I/O.
  if (auto st = o.intel.finalize(); !st) return fail(st.error().message());
  if (o.intel.feeds.empty()) return fail("no feed given (--feed PATH or NAME=PATH)");
  bool mode_ok = true;
  auto mode = parse_mode(o.attach_mode, mode_ok);
  if (!mode_ok) return fail(fmt::format("--attach-mode: '{}' is not auto, fentry, kprobe or tracepoint", o.attach_mode));
  auto period = summary::parse_duration(o.window);
  if (!period) return fail(fmt::format("--window: '{}' is not a period such as 10s, 15m, 1h or 24h", o.window));
  if (o.ringbuf_kib < 64 || o.ringbuf_kib > (1u << 20))
    return fail(fmt::format("--ringbuf-kib: {} is outside 64..1048576 (64 KiB to 1 GiB)", o.ringbuf_kib));
  if (auto why = check_metrics_address(o.metrics_address); !why.empty())
    return fail(fmt::format("--metrics-address {}: {}", o.metrics_address, why));
  if (o.timezone.empty()) return fail("--timezone: empty (an IANA name such as UTC or Europe/Berlin)");
  if (!o.ssh_log.empty() && o.ssh_log != "journal") {
    std::error_code ec;
    if (std::filesystem::is_directory(o.ssh_log, ec))
      return fail(fmt::format("--ssh-log {}: is a directory, not a log file", o.ssh_log));
  }
  std::vector<summary::PublicService> public_services;
  for (const auto& s : o.public_services) {
    auto ps = summary::parse_public_service(s);
    if (!ps) return fail(fmt::format("--public-service: '{}' is not NAME, NAME:PORT or :PORT", s));
    public_services.push_back(*ps);
  }

  // 2. State, sinks, intel, metrics, sshd log: all before the kernel.
  auto store = summary::StateStore::open(o.state_dir);
  if (!store) return fail(fmt::format("--state-dir {}: {}", o.state_dir, store.error().message()));

  exporter::Metrics metrics(BADIP_VERSION);
  std::vector<std::shared_ptr<summary::AlertSink>> sinks;
  if (!o.alert_file.empty()) {
    auto f = exporter::FileSink::open(o.alert_file);
    if (!f) return fail(fmt::format("--alert-file {}: {}", o.alert_file, f.error().message()));
    sinks.push_back(*f);
  }
  if (o.alert_stdout) sinks.push_back(std::make_shared<exporter::StdoutSink>());
  sinks.push_back(std::make_shared<exporter::LogSink>([](const std::string& text) { log_line("alert\n" + text); }));
  sinks.push_back(std::make_shared<exporter::MetricsSink>(metrics));

  auto intel_log = [](intel::LogLevel lvl, const std::string& m) {
    const char* tag = lvl == intel::LogLevel::kError ? "error: " : lvl == intel::LogLevel::kWarning ? "warning: " : "";
    log_line(fmt::format("intel: {}{}", tag, m));
  };
  auto intel = intel::Intel::load(o.intel, intel_log);
  if (!intel) return fail(intel.error().message());
  auto& in = **intel;

  std::unique_ptr<exporter::MetricsServer> server;
  if (!o.metrics_address.empty() && o.metrics_address != "off") {
    auto s = exporter::MetricsServer::start(o.metrics_address, metrics.registry());
    if (!s) return fail(fmt::format("--metrics-address {}: {}", o.metrics_address, s.error().message()));
    server = std::move(*s);
    log_line(fmt::format("metrics on {} (port {})", o.metrics_address, server->port()));
  }

  sshd::ParseStats ssh_stats;
  std::optional<sshd::SshLogInput> ssh;
  if (!o.ssh_log.empty()) {
    auto saved = (*store)->get(kSshPositionKey);
    std::string saved_state = saved && *saved ? **saved : std::string();
    summary::SystemClock wall;
    auto in = sshd::SshLogInput::open(o.ssh_log, saved_state, [wall] { return wall.now_ns(); }, ssh_stats);
    if (!in) return fail(fmt::format("--ssh-log {}: {}", o.ssh_log, in.error().message()));
    ssh.emplace(std::move(*in));
    std::error_code ec;
    if (o.ssh_log != "journal" && !std::filesystem::exists(o.ssh_log, ec))
      log_line(fmt::format("warning: --ssh-log {} does not exist yet; it is read from its start once it appears",
                           o.ssh_log));
    log_line(fmt::format("following sshd log: {}", o.ssh_log));
  }

  auto id = enrich::HostIdentity::from_system(o.node_name.empty() ? nullptr : o.node_name.c_str());
  summary::SystemClock clock;
  summary::SummaryConfig cfg;
  cfg.period = *period;
  cfg.timezone = o.timezone;
  cfg.large_transfer_bytes = o.large_transfer_bytes;
  cfg.public_services = public_services;
  cfg.host = id.host;
  cfg.node = id.node;
  cfg.log = [](const std::string& m) { log_line(m); };
  auto sum = summary::Summary::open(cfg, **store, clock, sinks);
  if (!sum) return fail(sum.error().message());
  auto& summary = **sum;

  // 3. The kernel.
  ProbeOptions popts;
  popts.mode = mode;
  popts.include_loopback = o.include_loopback;
  popts.ringbuf_bytes = o.ringbuf_kib * 1024;
  popts.log = [](std::string_view m) { log_line(std::string(m)); };
  auto probe = Probe::open(popts);
  if (!probe) return fail(probe.error().message());
  auto& pr = **probe;
  metrics.set_attach_mode(pr.mode());
  log_line(fmt::format("running: attach mode {}, {} feed(s), window {} ({}), state {}", mode_name(pr.mode()),
                       o.intel.feeds.size(), o.window, o.timezone, o.state_dir));

  if (auto st = in.start_watching(); !st) log_line("intel: feed files are not watched: " + st.error().message());

  struct sigaction sa {};
  sa.sa_handler = on_stop_signal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
  sa.sa_handler = on_hup;
  sigaction(SIGHUP, &sa, nullptr);

  EventPipeline pipeline(in, summary, &metrics);
  std::uint64_t drops_seen = 0;
  std::uint64_t unparsed_seen = 0;
  std::uint64_t last_reloads_ok = 0, last_reloads_failed = 0;
  std::uint64_t last_generation = ~0ull;
  const std::int64_t started = clock.now_ns();

  auto publish_intel_stats = [&] {
    auto st = in.stats();
    if (st.generation != last_generation) {
      for (const auto& f : st.feeds) metrics.set_feed_entries(f.name, f.entries);
      last_generation = st.generation;
    }
    for (; last_reloads_ok < st.reloads_ok; ++last_reloads_ok) metrics.feed_reload(true, double(st.last_success_unix));
    for (; last_reloads_failed < st.reloads_failed; ++last_reloads_failed)
      metrics.feed_reload(false, double(st.last_success_unix));
  };
  publish_intel_stats();

  auto on_event = [&pipeline](const ConnEvent& ev) { pipeline.on_event(ev); };

  while (!g_stop) {
    auto n = pr.poll(200, on_event);
    if (!n) log_line("ring buffer: " + n.error().message());
    pipeline.flush_metrics();
    std::uint64_t drops = pr.dropped();
    if (drops != drops_seen) {
      summary.add_ringbuf_drops(drops - drops_seen);
      metrics.set_ringbuf_drops_total(drops);
      drops_seen = drops;
    }
    if (ssh) {
      auto evs = ssh->poll();
      if (!evs) {
        log_line("sshd log: " + evs.error().message());
      } else if (!evs->empty()) {
        for (const LoginEvent& le : *evs) pipeline.on_login(le);
        if (auto st = (*store)->put(kSshPositionKey, ssh->state()); !st)
          log_line("state: saving the sshd log position: " + st.error().message());
      }
      std::uint64_t unparsed = ssh_stats.unparsed.load();
      if (unparsed != unparsed_seen) {
        metrics.ssh_unparsed_lines(unparsed - unparsed_seen);
        unparsed_seen = unparsed;
      }
    }
    if (g_reload) {
      g_reload = 0;
      log_line("SIGHUP: reloading feeds");
      in.request_reload();
    }
    publish_intel_stats();
    if (auto st = summary.tick(); !st) log_line("summary: " + st.error().message());
    if (o.run_for > 0 && clock.now_ns() - started >= std::int64_t(o.run_for * 1e9)) break;
  }

  in.stop_watching();
  if (auto st = summary.flush(); !st) log_line("state: final flush failed: " + st.error().message());
  if (ssh) (void)(*store)->put(kSshPositionKey, ssh->state());
  log_line(fmt::format("stopped: {} events, {} bad-IP events, {} ring-buffer drops", pipeline.events(),
                       pipeline.findings(), drops_seen));
  return 0;
}

}  // namespace

void register_run(CLI::App& app, int& exit_code) {
  auto o = std::make_shared<RunOptions>();
  if (const char* node = std::getenv("NODE_NAME")) o->node_name = node;
  auto* cmd = app.add_subcommand("run", "Run the agent: watch connections, match feeds, alert once per window");
  cmd->add_option("--config", o->config, "Read options from a TOML/INI file (keys are the long flag names)");
  intel::add_intel_options(*cmd, o->intel);
  cmd->add_option("--attach-mode", o->attach_mode, "auto|fentry|kprobe|tracepoint")->capture_default_str();
  cmd->add_flag("--include-loopback", o->include_loopback,
                "Also pass loopback connections from the kernel (counted in metrics; feeds never list loopback)");
  cmd->add_option("--ringbuf-kib", o->ringbuf_kib, "Ring buffer size in KiB")->capture_default_str();
  cmd->add_option("--window", o->window, "Summary period: 10s, 15m, 1h, 24h (aligned to midnight)")
      ->capture_default_str();
  cmd->add_option("--timezone", o->timezone, "IANA zone whose midnight starts a window")->capture_default_str();
  cmd->add_option("--large-transfer-bytes", o->large_transfer_bytes,
                  "Bytes per connection above which a transfer is suspicious")
      ->capture_default_str();
  cmd->add_option("--public-service", o->public_services,
                  "A service meant to be public: NAME, NAME:PORT or :PORT (repeatable)");
  cmd->add_option("--state-dir", o->state_dir, "Where the SQLite state lives")->capture_default_str();
  cmd->add_option("--alert-file", o->alert_file, "Append each alert as one JSON line to this file");
  cmd->add_flag("--alert-stdout", o->alert_stdout, "Print each alert as one JSON line on stdout");
  cmd->add_option("--metrics-address", o->metrics_address, "HOST:PORT for /metrics, or 'off'")
      ->capture_default_str();
  cmd->add_option("--ssh-log", o->ssh_log, "sshd log to follow: a file (e.g. /var/log/auth.log) or 'journal'");
  cmd->add_option("--node-name", o->node_name, "Node name in alerts (default: $NODE_NAME)");
  cmd->add_option("--run-for", o->run_for, "Stop after this many seconds (0: until SIGTERM)");
  cmd->callback([o, &exit_code] { exit_code = run_agent(*o); });
}

}  // namespace badip::cli
