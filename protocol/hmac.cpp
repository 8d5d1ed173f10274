#include "protocol/detail/hmac.hpp"

#include <array>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

namespace switchyard::protocol::detail {

std::optional<std::string> hmac_sha256(std::string_view key, std::string_view text) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> mac{};
  unsigned int size = 0;
  if (HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
           reinterpret_cast<const unsigned char*>(text.data()), text.size(), mac.data(),
           &size) == nullptr) {
    return std::nullopt;
  }
  return std::string{reinterpret_cast<const char*>(mac.data()), size};
}

bool same_mac(std::string_view mac, std::string_view expected) {
  return mac.size() == expected.size() &&
         CRYPTO_memcmp(mac.data(), expected.data(), expected.size()) == 0;
}

} // namespace switchyard::protocol::detail
