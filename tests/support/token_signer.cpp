#include "tests/support/token_signer.hpp"

#include "protocol/detail/base64url.hpp"

#include <array>
#include <chrono>

#include <openssl/evp.h>
#include <openssl/hmac.h>

namespace switchyard::testing {

std::string base64url(std::string_view bytes) {
  return protocol::detail::base64url_encode(bytes);
}

std::string sign_parts(std::string_view header, std::string_view payload, std::string_view secret) {
  const auto signed_part = base64url(header) + "." + base64url(payload);
  std::array<unsigned char, EVP_MAX_MD_SIZE> mac{};
  unsigned int size = 0;
  HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
       reinterpret_cast<const unsigned char*>(signed_part.data()), signed_part.size(), mac.data(),
       &size);
  return signed_part + "." +
         base64url({reinterpret_cast<const char*>(mac.data()), static_cast<std::size_t>(size)});
}

std::string sign_token(const nlohmann::json& header, const nlohmann::json& payload,
                       std::string_view secret) {
  return sign_parts(header.dump(), payload.dump(), secret);
}

std::string hs256_token(const nlohmann::json& payload, std::string_view secret) {
  return sign_token({{"alg", "HS256"}, {"typ", "JWT"}}, payload, secret);
}

int64_t epoch_seconds(int64_t seconds) {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
             .count() +
         seconds;
}

} // namespace switchyard::testing
