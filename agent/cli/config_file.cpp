#include "cli/config_file.h"

#include <algorithm>
#include <fstream>

#include <fmt/core.h>

namespace badip::cli {

Result<std::vector<std::string>> expand_config_file(CLI::App& app, std::vector<std::string> args) {
  // The subcommand is the first argument that is not an option of the root.
  auto sub_it = std::find_if(args.begin(), args.end(), [](const std::string& a) { return a.empty() || a[0] != '-'; });
  if (sub_it == args.end()) return args;
  CLI::App* cmd = nullptr;
  for (CLI::App* sub : app.get_subcommands([](CLI::App*) { return true; }))
    if (sub->get_name() == *sub_it) cmd = sub;
  if (cmd == nullptr || cmd->get_option_no_throw("--config") == nullptr) return args;

  std::string path;
  std::vector<std::string> given;  // long flags on the command line
  for (auto it = sub_it + 1; it != args.end(); ++it) {
    if (*it == "--") break;
    if (it->rfind("--", 0) != 0) continue;
    std::string name = it->substr(2);
    std::string value;
    bool has_value = false;
    if (auto eq = name.find('='); eq != std::string::npos) {
      value = name.substr(eq + 1);
      name.resize(eq);
      has_value = true;
    }
    if (name == "config") {
      if (!has_value) {
        if (it + 1 == args.end()) return Error{0, "--config needs a file"};
        value = *(it + 1);
      }
      path = value;
    }
    given.push_back(name);
  }
  if (path.empty()) return args;
  if (!std::ifstream(path).good()) return Error{errno, fmt::format("--config {}: cannot read", path)};

  std::vector<CLI::ConfigItem> items;
  try {
    CLI::ConfigTOML reader;
    items = reader.from_file(path);
  } catch (const std::exception& e) {
    return Error{0, fmt::format("{}: {}", path, e.what())};
  }
  std::vector<std::string> extra;
  for (const auto& item : items) {
    std::string key = item.fullname();
    // CLI11 reports section headers of INI files as items of their own
    if (key.empty() || item.name == "++" || item.name == "--") continue;
    std::replace(key.begin(), key.end(), '_', '-');
    CLI::Option* opt = cmd->get_option_no_throw("--" + key);
    if (opt == nullptr || key == "config" || key == "help")
      return Error{0, fmt::format("{}: '{}' is not an option of badip {}", path, item.fullname(), cmd->get_name())};
    if (std::find(given.begin(), given.end(), key) != given.end()) continue;  // the command line wins
    if (opt->get_type_size() == 0) {  // a flag
      std::string v = item.inputs.empty() ? "true" : item.inputs.front();
      if (v == "true" || v == "1" || v == "yes" || v == "on") {
        extra.push_back("--" + key);
      } else if (!(v == "false" || v == "0" || v == "no" || v == "off")) {
        return Error{0, fmt::format("{}: '{}' takes true or false, not '{}'", path, item.fullname(), v)};
      }
      continue;
    }
    for (const auto& v : item.inputs) extra.push_back("--" + key + "=" + v);
  }
  args.insert(sub_it + 1, extra.begin(), extra.end());
  return args;
}

}  // namespace badip::cli
