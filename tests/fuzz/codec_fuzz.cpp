// libFuzzer target for the codec: any bytes, as a frame of either encoding, must decode
// without crashing, and every publish must convert and encode to valid JSON.

#include "protocol/codec.hpp"

#include <cstddef>
#include <cstdint>

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
