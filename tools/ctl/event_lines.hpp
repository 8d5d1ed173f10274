#pragma once
// How switchyard-ctl prints events: one line each, for a person or (--json) one JSON
// object per line for scripts (the protocol's object as the node sent it).

#include <string>

#include <nlohmann/json.hpp>

namespace switchyard::ctl {

/// `seq 12  2026-12-01T20:45:06.123Z  {"text":"hi"}  key=k idem=i expired`
std::string event_line(const nlohmann::json& event);
/// An epoch-ms time as UTC ISO 8601 with milliseconds.
std::string iso_time(int64_t epoch_ms);
/// Prints the event to stdout as a line (json: the object as is) and
/// flushes, so a pipe sees each event as it comes.
void print_event(const nlohmann::json& event, bool json);

} // namespace switchyard::ctl
