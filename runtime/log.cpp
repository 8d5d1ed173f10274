#include "runtime/log.hpp"

#include <string>

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

namespace switchyard::runtime::log {

bool configure(std::string_view level) {
  auto lvl = spdlog::level::from_str(std::string{level});
  if (lvl == spdlog::level::off && level != "off") {
    return false;
  }
  // Both apply to every registered logger and become the registry's defaults for
  // loggers the libraries create later.
  spdlog::set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%l%$ [%n] %v");
  spdlog::set_level(lvl);
  return true;
}

spdlog::logger& runtime() {
  static const auto logger = spdlog::stderr_color_mt("runtime");
  return *logger;
}

} // namespace switchyard::runtime::log
