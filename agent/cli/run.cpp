// Placeholder: replaced by the part that owns this subcommand.
#include <fmt/core.h>

#include "cli/commands.h"

namespace badip::cli {

void register_run(CLI::App& app, int& exit_code) {
  auto* cmd = app.add_subcommand("run", "(not built yet)");
  cmd->callback([&exit_code] {
    fmt::print(stderr, "badip: run is not built yet\n");
    exit_code = 2;
  });
}

}  // namespace badip::cli
