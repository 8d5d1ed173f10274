#pragma once
// Makes JSON Web Tokens for tests: any header, any payload, signed with HMAC-SHA256 (or
// left unsigned), so tests can forge every kind of bad token a client could send.

#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace switchyard::testing {

/// Unpadded base64url of `bytes`.
std::string base64url(std::string_view bytes);

/// base64url(header).base64url(payload).signature for any header and payload text, the
/// signature HS256 over the first two with `secret`.
std::string sign_parts(std::string_view header, std::string_view payload, std::string_view secret);

/// header.payload.signature, the signature HS256 over the first two with `secret`.
std::string sign_token(const nlohmann::json& header, const nlohmann::json& payload,
                       std::string_view secret);

/// An HS256 token for `payload` (header {"alg":"HS256","typ":"JWT"}).
std::string hs256_token(const nlohmann::json& payload, std::string_view secret);

/// Now as a JWT NumericDate (seconds since the epoch), shifted by `seconds`.
int64_t epoch_seconds(int64_t seconds = 0);

} // namespace switchyard::testing
