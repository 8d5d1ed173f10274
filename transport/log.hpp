#pragma once
// The `transport` logger. Lines read `module.event key=value ...`; runtime sets sinks,
// level and pattern for every logger at start-up.

#include <spdlog/logger.h>

namespace switchyard::transport {

spdlog::logger& log();

} // namespace switchyard::transport
