#pragma once
// Human renderings of a WindowSummary (an alert, the open window or a fleet
// merge): plain text for the agent's log and `badip report`, markdown for
// reports pasted into tickets, and one-line JSON (the alert document).
#include <string>

#include "summary/model.h"

namespace badip::summary {

std::string render_text(const WindowSummary& w);
std::string render_markdown(const WindowSummary& w);
std::string render_json(const WindowSummary& w);  // one line, no trailing newline

}  // namespace badip::summary
