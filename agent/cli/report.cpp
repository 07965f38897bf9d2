// `badip report`: render a window from the state store, or merge several
// nodes' JSON alerts into one fleet report. Exit status: 0 rendered, 1 nothing
// to render (no such window, no alerts in the files), 2 error.
#include <algorithm>
#include <fstream>
#include <map>
#include <set>

#include <fmt/core.h>
#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "summary/model.h"
#include "summary/render.h"
#include "summary/store.h"

namespace badip::cli {
namespace {

struct ReportArgs {
  std::string state_dir;
  std::string window_start;
  bool last = false;
  std::string format = "text";
  std::vector<std::string> merge;
};

void print(const summary::WindowSummary& w, const std::string& format) {
  if (format == "json") {
    fmt::print("{}\n", summary::render_json(w));
  } else if (format == "markdown") {
    fmt::print("{}", summary::render_markdown(w));
  } else {
    fmt::print("{}", summary::render_text(w));
  }
}

int from_store(const ReportArgs& a) {
  auto store = summary::StateStore::open(a.state_dir, true);
  if (!store) {
    fmt::print(stderr, "badip: report: {}\n", store.error().message());
    return 2;
  }
  std::string document;
  if (!a.window_start.empty() || a.last) {
    Result<std::optional<summary::StoredAlert>> found = std::optional<summary::StoredAlert>{};
    if (a.last) {
      found = (*store)->last_window_alert();
    } else {
      auto t = summary::parse_time(a.window_start);
      if (!t) {
        fmt::print(stderr, "badip: report: --window-start: not a time: {} (use 2026-12-03T00:00:00Z or Unix seconds)\n",
                   a.window_start);
        return 2;
      }
      found = (*store)->window_alert(*t);
    }
    if (!found) {
      fmt::print(stderr, "badip: report: {}\n", found.error().message());
      return 2;
    }
    if (!*found) {
      fmt::print(stderr, "badip: report: no alert {} in {}\n",
                 a.last ? "emitted yet" : "for the window starting " + a.window_start, (*store)->path());
      return 1;
    }
    document = (*found)->document;
  } else {
    auto row = (*store)->load_open_window();
    if (!row) {
      fmt::print(stderr, "badip: report: {}\n", row.error().message());
      return 2;
    }
    if (!*row) {
      fmt::print(stderr, "badip: report: no open window in {}\n", (*store)->path());
      return 1;
    }
    document = (*row)->summary;
  }
  auto w = summary::from_json(nlohmann::json::parse(document, nullptr, false));
  if (!w) {
    fmt::print(stderr, "badip: report: {}: stored document unreadable: {}\n", (*store)->path(), w.error().message());
    return 2;
  }
  print(*w, a.format);
  return 0;
}

int from_files(const ReportArgs& a) {
  std::optional<std::int64_t> wanted;
  if (!a.window_start.empty()) {
    wanted = summary::parse_time(a.window_start);
    if (!wanted) {
      fmt::print(stderr, "badip: report: --window-start: not a time: {}\n", a.window_start);
      return 2;
    }
  }
  // window start -> alerts by id (a node's alert listed twice counts once)
  std::map<std::int64_t, std::map<std::string, summary::WindowSummary>> by_window;
  bool errors = false;
  for (const auto& path : a.merge) {
    std::ifstream in(path);
    if (!in) {
      fmt::print(stderr, "badip: report: {}: cannot open\n", path);
      errors = true;
      continue;
    }
    std::string line;
    for (std::size_t n = 1; std::getline(in, line); ++n) {
      if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
      auto j = nlohmann::json::parse(line, nullptr, false);
      if (j.is_discarded()) {
        fmt::print(stderr, "{}:{}: not JSON\n", path, n);
        errors = true;
        continue;
      }
      auto w = summary::from_json(j);
      if (!w) {
        fmt::print(stderr, "{}:{}: {}\n", path, n, w.error().message());
        errors = true;
        continue;
      }
      if (w->kind != "window") continue;  // immediate alerts are already inside their window's alert
      by_window[w->window_start_ns].emplace(w->id, std::move(*w));
    }
  }
  if (by_window.empty() || (wanted && !by_window.contains(*wanted))) {
    fmt::print(stderr, "badip: report: no window alerts{} in the given files\n",
               wanted ? " for the window starting " + a.window_start : "");
    return errors ? 2 : 1;
  }
  auto& chosen = wanted ? by_window.at(*wanted) : by_window.rbegin()->second;
  std::vector<summary::WindowSummary> parts;
  for (auto& [id, w] : chosen) parts.push_back(std::move(w));
  print(summary::merge(parts), a.format);
  return errors ? 2 : 0;
}

}  // namespace

void register_report(CLI::App& app, int& exit_code) {
  auto args = std::make_shared<ReportArgs>();
  auto* cmd = app.add_subcommand("report", "Render a window's summary from the state store, or merge nodes' alerts");
  auto* dir = cmd->add_option("--state-dir", args->state_dir, "State directory of the agent (holds state.db)");
  auto* start = cmd->add_option("--window-start", args->window_start,
                                "The emitted alert of the window starting at TIME (RFC 3339 or Unix seconds)");
  auto* last = cmd->add_flag("--last", args->last, "The most recent emitted window alert");
  start->excludes(last);
  cmd->add_option("--format", args->format, "Output format")
      ->check(CLI::IsMember({"text", "json", "markdown"}))
      ->capture_default_str();
  auto* merge = cmd->add_option("--merge", args->merge,
                                "Fleet report: combine the JSON alerts (one per line) in these files for one window "
                                "(the latest, or --window-start)")
                    ->expected(1, -1);
  merge->excludes(dir);
  merge->excludes(last);
  cmd->callback([args, &exit_code, dir, merge] {
    if (merge->count() > 0) {
      exit_code = from_files(*args);
    } else if (dir->count() > 0) {
      exit_code = from_store(*args);
    } else {
      fmt::print(stderr, "badip: report: give --state-dir DIR or --merge FILE...\n");
      exit_code = 2;
    }
  });
}

}  // namespace badip::cli
