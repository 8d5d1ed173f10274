#include "switchyard/agents/effect_id.hpp"

#include "protocol/detail/base64url.hpp"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>

namespace switchyard::agents {

std::string effect_id::name() const {
  return session + '#' + std::to_string(seq) + '.' + std::to_string(index);
}

std::string effect_id::token() const {
  return effect_token(name());
}

std::string effect_token(std::string_view name) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(name.data()), name.size(), digest);
  return protocol::detail::base64url_encode(
      std::string_view{reinterpret_cast<const char*>(digest), sizeof digest});
}

std::string effect_token(std::string_view name, std::string_view key) {
  if (key.empty())
    return effect_token(name);
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(name.data()), name.size(), mac, &len);
  return protocol::detail::base64url_encode(
      std::string_view{reinterpret_cast<const char*>(mac), len});
}

} // namespace switchyard::agents
