#pragma once
// Internal: the HMAC-SHA256 that signs connect tokens (HS256) and resume sessions, and
// the constant-time comparison that checks it (OpenSSL for both).

#include <optional>
#include <string>
#include <string_view>

namespace switchyard::protocol::detail {

/// HMAC-SHA256 of `text` under `key`; nullopt when OpenSSL could not compute it.
std::optional<std::string> hmac_sha256(std::string_view key, std::string_view text);

/// Whether `mac` equals `expected`, in time that does not depend on where they differ.
bool same_mac(std::string_view mac, std::string_view expected);

} // namespace switchyard::protocol::detail
