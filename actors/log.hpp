#pragma once
// The `actors` logger. Lines read `module.event key=value ...`; runtime sets sinks,
// level and pattern for every logger at start-up.

#include <spdlog/logger.h>

namespace switchyard::actors {

spdlog::logger& log();

} // namespace switchyard::actors
