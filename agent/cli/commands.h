#pragma once
// Each subcommand lives in its own file and registers itself on the root app.
// A subcommand's callback stores its process exit status in `exit_code`.
#include <CLI/CLI.hpp>

namespace badip::cli {

void register_tail(CLI::App& app, int& exit_code);       // tail.cpp    (probe)
void register_lookup(CLI::App& app, int& exit_code);     // lookup.cpp  (intel)
void register_feeds(CLI::App& app, int& exit_code);      // feeds.cpp   (intel)
void register_ssh_log(CLI::App& app, int& exit_code);    // ssh_log.cpp (sshd)
void register_run(CLI::App& app, int& exit_code);        // run.cpp     (the agent)
void register_report(CLI::App& app, int& exit_code);     // report.cpp  (summary)

}  // namespace badip::cli
