#pragma once
// Internal: the web console's files, built into the binary (transport/console/ is the
// source; embed_files.cmake turns it into a generated .cpp).

#include <string_view>
#include <vector>

namespace switchyard::transport {

struct static_file {
  std::string_view path; ///< URL path, e.g. /console/console.js
  std::string_view content_type;
  std::string_view body;
};

const std::vector<static_file>& console_files();

} // namespace switchyard::transport
