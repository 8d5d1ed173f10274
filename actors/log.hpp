#pragma once
// The `actors` logger. Lines read `module.event key=value ...`; runtime sets sinks,
// level and pattern for every logger at start-up.

#include <string>
#include <string_view>

#include <spdlog/logger.h>

namespace switchyard::actors {

spdlog::logger& log();

/// A tenant or user name as a log value: as it is when it holds only letters, digits
/// and `_.:/@+-`, else in double quotes with `"`, `\` and control bytes escaped, so a
/// name can never forge a field or a line (tenant and user names hold any characters).
std::string log_name(std::string_view name);

} // namespace switchyard::actors
