// The `badip` command. Exceptions stop here: every part below returns results.
#include <exception>

#include <fmt/core.h>

#include "cli/commands.h"
#include "cli/config_file.h"

int main(int argc, char** argv) {
  CLI::App app{"badip: tells you when known-malicious IP addresses touch your machines"};
  app.set_version_flag("--version", BADIP_VERSION);
  app.require_subcommand(1);
  int exit_code = 0;
  badip::cli::register_run(app, exit_code);
  badip::cli::register_tail(app, exit_code);
  badip::cli::register_report(app, exit_code);
  badip::cli::register_lookup(app, exit_code);
  badip::cli::register_feeds(app, exit_code);
  badip::cli::register_ssh_log(app, exit_code);
  std::vector<std::string> args(argv + 1, argv + argc);
  auto expanded = badip::cli::expand_config_file(app, std::move(args));
  if (!expanded) {
    fmt::print(stderr, "badip: {}\n", expanded.error().message());
    return 2;
  }
  // CLI11 takes the arguments in reverse order
  std::vector<std::string> rev(expanded->rbegin(), expanded->rend());
  try {
    app.parse(rev);
  } catch (const CLI::ParseError& e) {
    int rc = app.exit(e);
    return rc == 0 ? 0 : 2;
  } catch (const std::exception& e) {
    fmt::print(stderr, "badip: {}\n", e.what());
    return 2;
  }
  return exit_code;
}
