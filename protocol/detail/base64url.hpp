#pragma once
// Internal: unpadded base64url (RFC 4648 §5, as JWTs use it, RFC 7515 §2).

#include <optional>
#include <string>
#include <string_view>

namespace switchyard::protocol::detail {

std::string base64url_encode(std::string_view bytes);

/// nullopt for any character outside the alphabet, for padding, or for a length or
/// trailing bits no encoder makes (so one value has one encoding).
std::optional<std::string> base64url_decode(std::string_view in);

} // namespace switchyard::protocol::detail
