// libFuzzer target for the codec: any bytes, as a frame of either encoding, must decode
// without crashing, and every publish must convert and encode to valid JSON.

#include "protocol/codec.hpp"

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

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view frame(reinterpret_cast<const char*>(data), size);
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
      // msgpack: {"id":1,"op":"ping"} twice
      std::string("\x82\xa2id\x01\xa2op\xa4ping\x82\xa2id\x02\xa2op\xa4ping", 26),
  };
}
