#include "tools/ctl/event_lines.hpp"

#include <cstdio>
#include <ctime>

namespace switchyard::ctl {

std::string iso_time(int64_t epoch_ms) {
  const std::time_t seconds = static_cast<std::time_t>(epoch_ms / 1000);
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char text[40];
  const auto n = std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%S", &utc);
  std::snprintf(text + n, sizeof text - n, ".%03dZ", static_cast<int>(epoch_ms % 1000));
  return text;
}

std::string event_line(const nlohmann::json& event) {
  std::string line = "seq " + std::to_string(event.value("seq", uint64_t{0}));
  line += "  " + iso_time(event.value("ts", int64_t{0}));
  line += "  " + (event.contains("data") ? event["data"].dump() : std::string("null"));
  for (const char* field : {"key", "idem"}) {
    if (event.contains(field) && event[field].is_string()) {
      line += std::string("  ") + field + "=" + event[field].get<std::string>();
    }
  }
  if (event.value("expired", false)) {
    line += "  expired";
  }
  return line;
}

void print_event(const nlohmann::json& event, bool json) {
  if (json) {
    std::printf("%s\n", event.dump().c_str());
  } else {
    std::printf("%s\n", event_line(event).c_str());
  }
  std::fflush(stdout);
}

} // namespace switchyard::ctl
