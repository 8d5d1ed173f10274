#include "runtime/log.hpp"

#include <array>
#include <mutex>
#include <string>

#include <spdlog/sinks/stdout_color_sinks.h>

namespace switchyard::runtime::log {

namespace {

std::shared_ptr<spdlog::logger> named(const char* name) {
  // Loggers are created on first use from any thread; spdlog's registry is locked.
  static std::mutex mtx;
  std::lock_guard<std::mutex> guard{mtx};
  if (auto existing = spdlog::get(name)) {
    return existing;
  }
  auto logger = spdlog::stderr_color_mt(name);
  logger->set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%l%$ [%n] %v");
  return logger;
}

} // namespace

bool set_level(std::string_view level) {
  auto lvl = spdlog::level::from_str(std::string{level});
  if (lvl == spdlog::level::off && level != "off") {
    return false;
  }
  for (auto* name : std::array{"runtime", "actors", "transport", "store"}) {
    named(name)->set_level(lvl);
  }
  return true;
}

spdlog::logger& runtime() {
  static auto logger = named("runtime");
  return *logger;
}

spdlog::logger& actors() {
  static auto logger = named("actors");
  return *logger;
}

spdlog::logger& transport() {
  static auto logger = named("transport");
  return *logger;
}

spdlog::logger& store() {
  static auto logger = named("store");
  return *logger;
}

} // namespace switchyard::runtime::log
