// `badip lookup ADDR...`: which feeds list these addresses. grep-like exit
// status: 0 none listed, 1 any listed, 2 error.
#include <algorithm>

#include <fmt/core.h>
#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "intel/intel.h"

namespace badip::cli {
namespace {

struct LookupArgs {
  intel::IntelOptions intel;
  std::vector<std::string> addresses;
  bool json = false;
};

std::string quote_if_needed(const std::string& v) {
  if (v.find_first_of(" \t\"") == std::string::npos && !v.empty()) return v;
  std::string o = "\"";
  for (char c : v) {
    if (c == '"' || c == '\\') o += '\\';
    o += c;
  }
  return o + "\"";
}

// Deterministic order whatever the feed load order: feed name, then most
// specific prefix first.
std::vector<const intel::Entry*> sorted(const intel::Matches& m) {
  std::vector<const intel::Entry*> v;
  for (const auto& e : m) v.push_back(&e);
  std::sort(v.begin(), v.end(), [](const intel::Entry* a, const intel::Entry* b) {
    if (a->feed->name != b->feed->name) return a->feed->name < b->feed->name;
    if (a->prefix.len != b->prefix.len) return a->prefix.len > b->prefix.len;
    return a->prefix < b->prefix;
  });
  return v;
}

int run_lookup(LookupArgs& args) {
  // "not listed" means nothing when nothing was loaded to list it
  if (args.intel.feeds.empty() && args.intel.feed_args.empty()) {
    fmt::print(stderr, "badip: lookup: no feed given (--feed PATH or NAME=PATH)\n");
    return 2;
  }
  std::vector<std::string> warnings;
  auto loaded = intel::Intel::load(args.intel, [&](intel::LogLevel l, const std::string& m) {
    if (l != intel::LogLevel::kInfo) warnings.push_back(m);
  });
  if (!loaded) {
    fmt::print(stderr, "badip: lookup: {}\n", loaded.error().message());
    return 2;
  }
  for (const auto& w : warnings) fmt::print(stderr, "badip: lookup: warning: {}\n", w);
  auto& intel = **loaded;
  auto reader = intel.reader();
  bool any = false, error = false;
  nlohmann::json out = nlohmann::json::array();
  for (const auto& text : args.addresses) {
    std::string why;
    auto addr = intel::parse_address(text, &why);
    if (!addr) {
      // Lookups accept what users paste, e.g. "fe80::1%eth0" is still rejected.
      fmt::print(stderr, "badip: lookup: '{}': {}\n", text, why);
      error = true;
      continue;
    }
    auto matches = sorted(reader.lookup(*addr));
    any = any || !matches.empty();
    if (args.json) {
      nlohmann::json item{{"address", addr->to_string()}, {"listed", !matches.empty()}};
      nlohmann::json ms = nlohmann::json::array();
      for (const auto* e : matches) {
        nlohmann::json meta = nlohmann::json::object();
        for (const auto& [k, v] : e->meta) meta[k] = v;
        ms.push_back({{"feed", e->feed->name},
                      {"category", e->feed->category},
                      {"confidence", e->feed->confidence},
                      {"source", e->feed->source},
                      {"prefix", e->prefix.to_string()},
                      {"meta", meta}});
      }
      item["matches"] = ms;
      out.push_back(item);
      continue;
    }
    if (matches.empty()) {
      fmt::print("{} not listed\n", addr->to_string());
      continue;
    }
    for (const auto* e : matches) {
      std::string line = fmt::format("{} listed feed={} category={} confidence={} prefix={}", addr->to_string(),
                                     quote_if_needed(e->feed->name), quote_if_needed(e->feed->category),
                                     e->feed->confidence, e->prefix.to_string());
      for (const auto& [k, v] : e->meta) line += " " + k + "=" + quote_if_needed(v);
      fmt::print("{}\n", line);
    }
  }
  if (args.json) fmt::print("{}\n", out.dump(2));
  if (error) return 2;
  return any ? 1 : 0;
}

}  // namespace

void register_lookup(CLI::App& app, int& exit_code) {
  auto args = std::make_shared<LookupArgs>();
  auto* cmd = app.add_subcommand("lookup", "Show which feeds list the given addresses (exit 1 if any is listed)");
  cmd->add_option("address", args->addresses, "IPv4 or IPv6 addresses")->required();
  cmd->add_flag("--json", args->json, "JSON output");
  intel::add_intel_options(*cmd, args->intel);
  cmd->callback([args, &exit_code] { exit_code = run_lookup(*args); });
}

}  // namespace badip::cli
