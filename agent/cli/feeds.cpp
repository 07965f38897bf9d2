// `badip feeds check FILE...`: parse feed files and say what is in them.
// Exit 0 when every file loaded, 2 when any could not be read or recognised.
#include <fmt/core.h>
#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "intel/feed_parse.h"

namespace badip::cli {
namespace {

struct CheckArgs {
  std::vector<std::string> files;
  bool json = false;
  std::string format = "auto";
  std::string csv_column;
  std::string iprep_categories;
  bool allow_zero_prefix = false;
};

int run_check(const CheckArgs& args) {
  intel::ParseOptions po;
  auto f = intel::format_from_name(args.format);
  if (!f) {
    fmt::print(stderr, "badip: feeds check: unknown format '{}' ({})\n", args.format, intel::format_names());
    return 2;
  }
  po.format = *f;
  po.csv_column = args.csv_column;
  po.iprep_categories = args.iprep_categories;
  po.allow_zero_prefix = args.allow_zero_prefix;
  int rc = 0;
  nlohmann::json out = nlohmann::json::array();
  for (const auto& file : args.files) {
    auto r = intel::parse_feed_file(file, po);
    if (!r) {
      rc = 2;
      if (args.json) {
        out.push_back({{"file", file}, {"ok", false}, {"error", r.error().message()}});
      } else {
        fmt::print("{}: error: {}\n", file, r.error().message());
      }
      continue;
    }
    const auto& p = *r;
    if (args.json) {
      out.push_back({{"file", file},
                     {"ok", true},
                     {"format", intel::format_name(p.format)},
                     {"entries", p.entries.size()},
                     {"ipv4_hosts", p.count(true, true)},
                     {"ipv4_prefixes", p.count(true, false)},
                     {"ipv6_hosts", p.count(false, true)},
                     {"ipv6_prefixes", p.count(false, false)},
                     {"duplicates", p.duplicates},
                     {"skipped", p.skipped},
                     {"warnings", p.warnings},
                     {"rejected", p.rejected}});
      continue;
    }
    fmt::print("{}: format={} entries={} ipv4_hosts={} ipv4_prefixes={} ipv6_hosts={} ipv6_prefixes={} "
               "warnings={} rejected={}\n",
               file, intel::format_name(p.format), p.entries.size(), p.count(true, true), p.count(true, false),
               p.count(false, true), p.count(false, false), p.warnings.size(), p.rejected.size());
    for (const auto& w : p.warnings) fmt::print("warning: {}\n", w);
    for (const auto& x : p.rejected) fmt::print("{}\n", x);
  }
  if (args.json) fmt::print("{}\n", out.dump(2));
  return rc;
}

}  // namespace

void register_feeds(CLI::App& app, int& exit_code) {
  auto* cmd = app.add_subcommand("feeds", "Work with threat-intelligence feed files");
  cmd->require_subcommand(1);
  auto args = std::make_shared<CheckArgs>();
  auto* check = cmd->add_subcommand("check", "Parse feed files and report format, entries, warnings, rejected lines");
  check->add_option("file", args->files, "Feed files")->required();
  check->add_flag("--json", args->json, "JSON output");
  check->add_option("--format", args->format, "Force a format: " + intel::format_names())->capture_default_str();
  check->add_option("--csv-column", args->csv_column, "CSV: name of the IP column");
  check->add_option("--iprep-categories", args->iprep_categories, "iprep: categories file");
  check->add_flag("--allow-zero-prefix", args->allow_zero_prefix, "Accept /0 entries");
  check->callback([args, &exit_code] { exit_code = run_check(*args); });
}

}  // namespace badip::cli
