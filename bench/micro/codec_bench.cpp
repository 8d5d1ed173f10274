// The codec's per-message costs: decoding client frames, encoding the `event` push (the
// topic actor's hot path, once per event and encoding) and converting `data` between
// JSON and MessagePack.

#include "bench/micro/payloads.hpp"
#include "protocol/codec.hpp"

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <benchmark/benchmark.h>

namespace switchyard::bench {
namespace {

using protocol::encoding;

/// A publish as a typical client sends it: an id, a topic and a 128-byte string.
std::string json_publish() {
  return R"({"op":"publish","id":42,"topic":"chat/room-1","data":)" + json_string(text(128)) + "}";
}

/// `messages` publishes as one frame: JSON lines joined by '\n', MessagePack maps back to back.
std::string publish_frame(encoding enc, int64_t messages) {
  const auto json = json_publish();
  const auto one = enc == encoding::json ? json : msgpack_of(json);
  std::string frame;
  for (int64_t i = 0; i < messages; ++i) {
    if (enc == encoding::json && i > 0) {
      frame += '\n';
    }
    frame += one;
  }
  return frame;
}

/// decode_frame of a frame of `messages` publishes; items are messages. The output vector
/// is reused, as a connection actor would, so its growth is not part of the time.
void BM_DecodeFrame(benchmark::State& state, encoding enc) {
  const auto messages = state.range(0);
  const auto frame = publish_frame(enc, messages);
  std::vector<protocol::decoded_message> out;
  // Guard against timing the error path: the frame must decode cleanly.
  if (!protocol::decode_frame(enc, frame, out) || std::ssize(out) != messages) {
    state.SkipWithError("the benchmark frame does not decode");
    return;
  }
  for (auto _ : state) {
    out.clear();
    benchmark::DoNotOptimize(protocol::decode_frame(enc, frame, out));
  }
  state.SetItemsProcessed(state.iterations() * messages);
  state.SetBytesProcessed(state.iterations() * std::ssize(frame));
}
BENCHMARK_CAPTURE(BM_DecodeFrame, json, encoding::json)->ArgName("messages")->Arg(1)->Arg(32);
BENCHMARK_CAPTURE(BM_DecodeFrame, msgpack, encoding::msgpack)->ArgName("messages")->Arg(1)->Arg(32);

/// encode_event_push of one event whose stored `data` is `data_json` as MessagePack. For
/// JSON the data is converted from MessagePack on every call, as in the topic actor; bytes
/// are the encoded output.
void BM_EncodeEventPush(benchmark::State& state, encoding enc, std::string data_json) {
  const auto data = msgpack_of(data_json);
  const protocol::event_view ev{123456, 1700000000000, {}, {}, data};
  int64_t bytes = 0;
  for (auto _ : state) {
    auto msg = protocol::encode_event_push(enc, "chat/room-1", ev);
    bytes += std::ssize(msg);
    benchmark::DoNotOptimize(msg);
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(bytes);
}
BENCHMARK_CAPTURE(BM_EncodeEventPush, json_string128, encoding::json, json_string(text(128)));
BENCHMARK_CAPTURE(BM_EncodeEventPush, json_small_object, encoding::json,
                  std::string(small_object_json));
BENCHMARK_CAPTURE(BM_EncodeEventPush, msgpack_string128, encoding::msgpack, json_string(text(128)));
BENCHMARK_CAPTURE(BM_EncodeEventPush, msgpack_small_object, encoding::msgpack,
                  std::string(small_object_json));

/// An order-like document: nested maps and arrays of every scalar type `data` can hold.
constexpr std::string_view nested_object_json =
    R"({"order":{"id":"o-1842","customer":{"name":"Ada Lovelace","tier":3,)"
    R"("address":{"city":"Zurich","zip":"8001","geo":[47.37,8.54]}},)"
    R"("items":[{"sku":"A-1","qty":2,"price":9.5,"tags":["new","sale"]},)"
    R"({"sku":"B-7","qty":1,"price":120.0,"tags":[]}],"paid":true,"note":null,"total":-139}})";

/// msgpack_to_json of the nested document (what a JSON subscriber's `data` costs); bytes are
/// MessagePack input.
void BM_MsgpackToJson(benchmark::State& state) {
  const auto input = msgpack_of(nested_object_json);
  for (auto _ : state) {
    benchmark::DoNotOptimize(protocol::msgpack_to_json(input));
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * std::ssize(input));
}
BENCHMARK(BM_MsgpackToJson);

/// json_to_msgpack of the same document (the reverse direction); bytes are JSON input.
void BM_JsonToMsgpack(benchmark::State& state) {
  for (auto _ : state) {
    benchmark::DoNotOptimize(protocol::json_to_msgpack(nested_object_json));
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * std::ssize(nested_object_json));
}
BENCHMARK(BM_JsonToMsgpack);

} // namespace
} // namespace switchyard::bench
