#pragma once
// The per-op field rules of PROTOCOL.md ("Messages"), applied to a message that either
// decoder has turned into a JSON object. Defined in protocol.cpp. Internal to transport.

#include "protocol/message.hpp"

#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace switchyard::protocol::detail {

/// Checks `msg` against its op's fields and builds the client_message, or names the first
/// bad field. `data` is the message's `data` field, already MessagePack (nullopt: absent).
decoded_message decode_fields(const nlohmann::ordered_json& msg, std::optional<std::string> data);

/// Quotes client text for an error message, cut at 64 bytes so a reply never echoes a frame.
std::string quote(std::string_view client_text);

} // namespace switchyard::protocol::detail
