// `badip ssh-log check FILE…`: shows how each sshd line of an auth log is
// understood, so users can see that their log format works before they rely
// on it. Exit status: 0 all understood, 1 some sshd lines not understood,
// 2 a file could not be read.
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <memory>
#include <iostream>
#include <string>
#include <vector>

#include <fmt/core.h>
#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "sshd/parser.h"

namespace badip::cli {

namespace {

struct CheckOptions {
  std::vector<std::string> files;
  bool json = false;
  int year = 0;
};

int current_year() {
  using namespace std::chrono;
  return int(year_month_day{floor<days>(system_clock::now())}.year());
}

std::string iso_time(std::int64_t wall_ns) {
  using namespace std::chrono;
  sys_seconds t{seconds{wall_ns / 1'000'000'000}};
  auto day = floor<days>(t);
  year_month_day ymd{day};
  hh_mm_ss hms{t - day};
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z", int(ymd.year()), unsigned(ymd.month()),
                     unsigned(ymd.day()), hms.hours().count(), hms.minutes().count(),
                     hms.seconds().count());
}

nlohmann::json to_json(const std::string& file, std::size_t lineno, const sshd::ParsedLine& p,
                       std::string_view text) {
  nlohmann::json j;
  j["file"] = file;
  j["line"] = lineno;
  j["kind"] = std::string(sshd::to_string(p.kind));
  if (!p.rule.empty()) j["rule"] = std::string(p.rule);
  if (p.kind == sshd::LineKind::Event || p.kind == sshd::LineKind::NoAddress) {
    const LoginEvent& e = p.event;
    j["result"] = std::string(sshd::to_string(e.result));
    j["method"] = e.method;
    j["user"] = e.user;
    j["invalid_user"] = e.invalid_user;
    if (p.kind == sshd::LineKind::Event) {
      j["address"] = e.address.to_string();
    } else {
      j["host"] = p.host;
    }
    j["port"] = e.port ? nlohmann::json(*e.port) : nlohmann::json(nullptr);
    j["attempts"] = e.attempts;
    j["program"] = e.program;
    j["pid"] = e.pid;
    j["time"] = e.wall_ns ? nlohmann::json(iso_time(e.wall_ns)) : nlohmann::json(nullptr);
  } else if (p.kind == sshd::LineKind::Unparsed) {
    j["text"] = std::string(text);
  }
  return j;
}

// "root", or "\"a b\"" when the name needs quoting to stay one field.
std::string quoted(const std::string& s) {
  bool plain = !s.empty();
  for (char c : s)
    if (c == ' ' || c == '"' || c == '\\' || c == '=' || static_cast<unsigned char>(c) < 0x20)
      plain = false;
  if (plain) return s;
  return nlohmann::json(s).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

// Log lines are attacker-influenced: control and non-ASCII bytes are shown
// as \xHH so that nothing in them can drive the terminal.
std::string printable(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (unsigned char c : s) {
    if (c >= 0x20 && c < 0x7f) {
      out += char(c);
    } else {
      out += fmt::format("\\x{:02x}", c);
    }
  }
  return out;
}

std::string to_text(const std::string& file, std::size_t lineno, const sshd::ParsedLine& p,
                    std::string_view text) {
  std::string out = fmt::format("{}:{}: {}", file, lineno, sshd::to_string(p.kind));
  if (p.kind == sshd::LineKind::Event || p.kind == sshd::LineKind::NoAddress) {
    const LoginEvent& e = p.event;
    out += fmt::format(" {}", sshd::to_string(e.result));
    if (!e.method.empty()) out += fmt::format(" method={}", e.method);
    if (!e.user.empty() || e.invalid_user) out += fmt::format(" user={}", quoted(e.user));
    if (e.invalid_user) out += " invalid-user";
    if (p.kind == sshd::LineKind::Event) {
      out += fmt::format(" address={}", e.address.to_string());
    } else if (!p.host.empty()) {
      out += fmt::format(" host={}", quoted(p.host));
    }
    if (e.port) out += fmt::format(" port={}", *e.port);
    out += fmt::format(" attempts={} program={}", e.attempts, e.program);
  }
  if (!p.rule.empty()) out += fmt::format(" ({})", p.rule);
  if (p.kind == sshd::LineKind::Unparsed) out += fmt::format(": {}", printable(text));
  return out;
}

int run_check(const CheckOptions& opt) {
  sshd::ParseStats stats;
  std::uint64_t attempts = 0;
  bool read_error = false;
  for (const auto& file : opt.files) {
    std::ifstream in;
    std::istream* is = &std::cin;
    if (file != "-") {
      in.open(file, std::ios::binary);
      if (!in) {
        fmt::print(stderr, "{}: {}\n", file, std::strerror(errno));
        read_error = true;
        continue;
      }
      is = &in;
    }
    std::string line;
    std::size_t lineno = 0;
    while (std::getline(*is, line)) {
      ++lineno;
      sshd::ParsedLine p = sshd::parse_line(line, opt.year);
      stats.count(p);
      if (p.kind == sshd::LineKind::Event) attempts += p.event.attempts;
      if (p.kind == sshd::LineKind::Other) continue;  // not an sshd line: counted only
      std::string shown = file == "-" ? "<stdin>" : file;
      if (opt.json) {
        fmt::print("{}\n", to_json(shown, lineno, p, line)
                               .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
      } else {
        fmt::print("{}\n", to_text(shown, lineno, p, line));
      }
    }
    if (is->bad()) {
      fmt::print(stderr, "{}: read error\n", file);
      read_error = true;
    }
  }
  auto v = [](const std::atomic<std::uint64_t>& c) { return c.load(std::memory_order_relaxed); };
  if (opt.json) {
    nlohmann::json j;
    j["lines"] = v(stats.lines);
    j["success"] = v(stats.success);
    j["failure"] = v(stats.failure);
    j["invalid_user"] = v(stats.invalid_user);
    j["preauth_abort"] = v(stats.preauth_abort);
    j["no_address"] = v(stats.no_address);
    j["not_auth"] = v(stats.not_auth);
    j["other"] = v(stats.other);
    j["unparsed"] = v(stats.unparsed);
    j["attempts"] = attempts;
    fmt::print("{}\n", nlohmann::json{{"summary", j}}.dump());
  } else {
    fmt::print(
        "lines={} success={} failure={} invalid-user={} preauth-abort={} no-address={} "
        "not-auth={} other={} unparsed={} attempts={}\n",
        v(stats.lines), v(stats.success), v(stats.failure), v(stats.invalid_user),
        v(stats.preauth_abort), v(stats.no_address), v(stats.not_auth), v(stats.other),
        v(stats.unparsed), attempts);
  }
  if (read_error) return 2;
  return v(stats.unparsed) ? 1 : 0;
}

}  // namespace

void register_ssh_log(CLI::App& app, int& exit_code) {
  auto* cmd = app.add_subcommand("ssh-log", "sshd authentication logs");
  cmd->require_subcommand(1);
  auto opt = std::make_shared<CheckOptions>();
  auto* check = cmd->add_subcommand(
      "check", "show how each sshd line of the given logs is understood, then counts by outcome");
  check->add_option("files", opt->files, "log files; - reads stdin")->required();
  check->add_flag("--json", opt->json, "one JSON object per line, then a summary object");
  check->add_option("--year", opt->year,
                    "year for syslog timestamps that carry none (default: this year, UTC)");
  check->callback([opt, &exit_code] {
    if (opt->year == 0) opt->year = current_year();
    std::fflush(stdout);
    exit_code = run_check(*opt);
  });
}

}  // namespace badip::cli
