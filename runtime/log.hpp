#pragma once
// Logging set-up for the whole node, and the `runtime` logger. Every library names its
// own spdlog logger (actors/log.hpp, transport/log.hpp); runtime configures them all.

#include <string_view>

#include <spdlog/logger.h>

namespace switchyard::runtime::log {

/// Sets the level ("trace".."critical", "off") and the line pattern of every logger,
/// including those created later. Returns false when the name is not a level.
bool configure(std::string_view level);

spdlog::logger& runtime();

} // namespace switchyard::runtime::log
