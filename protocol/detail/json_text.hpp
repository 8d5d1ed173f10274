#pragma once
// Appending JSON text, shared by the encoders and the data conversion (data_convert.cpp).
// Internal to transport.

#include <string>
#include <string_view>

namespace switchyard::protocol::detail {

/// Appends `s` as a quoted JSON string. Invalid UTF-8 becomes U+FFFD (one per maximal
/// invalid subpart), so the output is valid JSON whatever bytes a client sent.
void append_json_string(std::string& out, std::string_view s);

/// Appends the MessagePack value `msgpack` as compact JSON (see msgpack_to_json).
void append_msgpack_as_json(std::string& out, std::string_view msgpack);

} // namespace switchyard::protocol::detail
