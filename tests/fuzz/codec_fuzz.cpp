// libFuzzer target for the codec: any bytes, as a frame of either encoding, must decode
// without crashing, every publish must convert and encode to valid JSON, and the fast
// JSON parse (simdjson) must accept nothing the nlohmann-json parse refuses and build the
// same value (down to its MessagePack bytes) for everything it accepts.

#include "protocol/codec.hpp"
#include "protocol/detail/json_value.hpp"

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace {

using namespace switchyard::protocol;

void check_publish(const client_message& m) {
  const auto text = msgpack_to_json(m.data);
  const event_view ev{1, 0, m.key ? std::string_view(*m.key) : std::string_view(),
                      m.idem ? std::string_view(*m.idem) : std::string_view(), m.data};
  const auto push = encode_event_push(encoding::json, m.topic, ev);
  if (!nlohmann::json::accept(text) || !nlohmann::json::accept(push)) {
    __builtin_trap(); // the JSON a subscriber receives must always parse
  }
  (void)encode_event_push(encoding::msgpack, m.topic, ev);
}

void check_fast_parse(std::string_view text) {
  constexpr std::size_t depth = 64;
  const auto fast = detail::parse_json_fast(text, depth);
  if (!fast) {
    return;
  }
  nlohmann::ordered_json slow;
  try {
    slow = detail::parse_json_limited(text, depth);
  } catch (...) {
    __builtin_trap(); // the fast path took what the protocol's parser refuses
  }
  std::string fast_bytes;
  std::string slow_bytes;
  detail::append_msgpack(fast_bytes, *fast);
  detail::append_msgpack(slow_bytes, slow);
  if (*fast != slow || fast_bytes != slow_bytes) {
    __builtin_trap(); // the fast path read the text differently
  }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view frame(reinterpret_cast<const char*>(data), size);
  check_fast_parse(frame);
  for (auto enc : {encoding::json, encoding::msgpack}) {
    std::vector<decoded_message> out;
    decode_frame(enc, frame, out);
    for (const auto& msg : out) {
      const auto* m = std::get_if<client_message>(&msg);
      if (m != nullptr && m->kind == op::publish) {
        check_publish(*m);
      }
    }
  }
  (void)json_to_msgpack(frame);
  return 0;
}

std::vector<std::string> fuzz_seeds() {
  return {
      "{\"id\":1,\"op\":\"connect\",\"client\":\"x\"}",
      "{\"id\":2,\"op\":\"subscribe\",\"topic\":\"a/b\",\"from\":{\"seq\":3}}",
      "{\"id\":3,\"op\":\"publish\",\"topic\":\"t\",\"data\":{\"k\":[1,2.5,\"s\",null,true]},"
      "\"key\":\"k\",\"idem\":\"i\"}\n{\"op\":\"ping\"}",
      "{\"id\":4,\"op\":\"history\",\"topic\":\"t\",\"since_ms\":0,\"limit\":10}",
      // msgpack: {"op":"publish","topic":"t","data":bin(3)}
      std::string("\x83\xa2op\xa7publish\xa5topic\xa1t\xa4"
                  "data\xc4\x03\x01\x02\x03",
                  30),
      // JSON the two parsers could read differently
      R"({"a":1,"a":[2,-0,-1,18446744073709551615,1e308,0.1,"\u00e9\ud83d\ude00"],"b":{}})",
      R"([[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]])",
      R"({"s":"\udc00","n":1e400,"m":-9223372036854775809,"t":"\t\"\/"})",
      // msgpack: {"id":1,"op":"ping"} twice
      std::string("\x82\xa2id\x01\xa2op\xa4ping\x82\xa2id\x02\xa2op\xa4ping", 26),
  };
}
