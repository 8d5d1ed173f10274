// libFuzzer target for connect tokens: any bytes as a token must be refused or verified
// without crashing; the same bytes split into a header and a payload are also signed with
// the key, so the claim checks behind the signature get fuzzed too; and any two strings
// go through the topic pattern match.

#include "protocol/jwt.hpp"
#include "tests/support/token_signer.hpp"

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace {

constexpr std::string_view key = "fuzz-key-that-is-at-least-32-bytes-long";
constexpr int64_t now_ms = 1'800'000'000'000;

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace switchyard::protocol;
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  auto raw = verify_jwt(input, key, now_ms, 30000);
  if (raw.claims.has_value() == !raw.error.empty()) {
    __builtin_trap(); // exactly one of claims and error
  }
  const auto cut = input.find('\n');
  const auto header = input.substr(0, cut);
  const auto payload = cut == std::string_view::npos ? std::string_view{} : input.substr(cut + 1);
  auto v = verify_jwt(switchyard::testing::sign_parts(header, payload, key), key, now_ms, 30000);
  if (v.claims && (v.claims->sub.empty() || v.claims->tenant.empty() ||
                   v.claims->tenant.size() > max_claim_name_bytes)) {
    __builtin_trap(); // a verified token always names a user and a tenant
  }
  (void)topic_matches(header, payload);
  return 0;
}

std::vector<std::string> fuzz_seeds() {
  return {
      "{\"alg\":\"HS256\",\"typ\":\"JWT\"}\n{\"sub\":\"ada\",\"tenant\":\"acme\",\"exp\":"
      "1900000000,"
      "\"pub\":[\"chat/*\"],\"sub_topics\":[\"chat/>\"],\"admin\":true}",
      "{\"alg\":\"HS256\"}\n{\"sub\":\"a\",\"tenant\":\"t\",\"exp\":1,\"nbf\":2e9,\"iat\":-1}",
      "{\"alg\":\"none\"}\n{}",
      "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhIn0.c2ln",
      "chat/>\nchat/1/x",
  };
}
