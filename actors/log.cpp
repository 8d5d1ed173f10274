#include "actors/log.hpp"

#include <algorithm>

#include <spdlog/sinks/stdout_color_sinks.h>

namespace switchyard::actors {

std::string log_name(std::string_view name) {
  const auto plain = [](unsigned char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '.' || c == ':' || c == '/' || c == '@' || c == '+' || c == '-';
  };
  if (!name.empty() && std::all_of(name.begin(), name.end(), plain)) {
    return std::string{name};
  }
  static constexpr char hex[] = "0123456789abcdef";
  std::string out = "\"";
  for (const char ch : name) {
    const auto c = static_cast<unsigned char>(ch);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += ch;
    } else if (c < 0x20 || c == 0x7f) {
      out += "\\x";
      out += hex[c >> 4];
      out += hex[c & 0xF];
    } else {
      out += ch;
    }
  }
  out += '"';
  return out;
}

spdlog::logger& log() {
  // Created on first use; spdlog's registry applies the level and pattern runtime set.
  static const auto logger = spdlog::stderr_color_mt("actors");
  return *logger;
}

} // namespace switchyard::actors
