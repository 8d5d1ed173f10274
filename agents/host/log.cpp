#include "agents/host/log.hpp"

#include <spdlog/sinks/stdout_color_sinks.h>

namespace switchyard::agents::host {

spdlog::logger& log() {
  // Created on first use; spdlog's registry applies the level and pattern runtime set.
  static const auto logger = spdlog::stderr_color_mt("agents");
  return *logger;
}

} // namespace switchyard::agents::host
