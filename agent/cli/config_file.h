#pragma once
// `badip <command> --config FILE`: the file's keys are the command's long
// flag names (TOML or INI, CLI11's reader). CLI11 only reads config files for
// the root app, so the file is expanded here into flags placed before the
// command line's own, which win: a key whose flag is also on the command
// line is skipped. An unknown key is an error naming the file and the key.
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "badip/result.h"

namespace badip::cli {

// args: the command line after the program name. Returns it with the config
// file (if the command has a --config option and one was given) expanded.
Result<std::vector<std::string>> expand_config_file(CLI::App& app, std::vector<std::string> args);

}  // namespace badip::cli
