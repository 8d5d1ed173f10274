#pragma once
// The `agents` logger. Lines read `agent.event key=value ...`; runtime sets sinks, level
// and pattern at start-up.

#include <spdlog/logger.h>

namespace switchyard::agents::host {

spdlog::logger& log();

} // namespace switchyard::agents::host
