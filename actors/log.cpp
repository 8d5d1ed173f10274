#include "actors/log.hpp"

#include <spdlog/sinks/stdout_color_sinks.h>

namespace switchyard::actors {

spdlog::logger& log() {
  // Created on first use; spdlog's registry applies the level and pattern runtime set.
  static const auto logger = spdlog::stderr_color_mt("actors");
  return *logger;
}

} // namespace switchyard::actors
