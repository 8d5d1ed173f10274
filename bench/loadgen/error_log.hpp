#pragma once
// Errors the node sent (and connection failures), counted over the whole run. The
// first one is printed on stderr so a misconfigured run explains itself; the rest
// are only counted, so an error storm cannot flood the terminal.

#include <cstdint>
#include <string_view>

namespace switchyard::bench {

/// Counts one error; prints it (truncated) when it is the first. Any thread.
void record_error(std::string_view where, std::string_view what);

/// Errors recorded so far. Any thread.
uint64_t error_count();

} // namespace switchyard::bench
