#pragma once
// Errors the node sent (and connection failures), counted over the whole run. The
// first one is printed on stderr so a misconfigured run explains itself; the rest
// are only counted, so an error storm cannot flood the terminal.

#include <cstdint>
#include <map>
#include <string>
#include <string_view>

namespace switchyard::bench {

/// Counts one error; prints it (truncated) when it is the first. Any thread.
void record_error(std::string_view where, std::string_view what);

/// Errors recorded so far. Any thread.
uint64_t error_count();

/// The errors recorded so far by their `code` (a connection failure counts as
/// "closed"). Any thread.
std::map<std::string, uint64_t> error_codes();

/// Counts a push the run does not otherwise use (slow_down, unsubscribed...) by kind.
void record_push(std::string_view msg);
std::map<std::string, uint64_t> push_counts();

} // namespace switchyard::bench
