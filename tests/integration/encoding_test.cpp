// JSON and MessagePack clients on the same topics.

#include "tests/support/test_node.hpp"
#include "tests/support/ws_client.hpp"

#include <gtest/gtest.h>
#include <msgpack.hpp>
#include <nlohmann/json.hpp>

namespace switchyard::testing {
namespace {

using json = nlohmann::json;

/// Packs a map of string keys from a JSON object, with `bin` added as a binary field.
std::string pack(const json& j, const std::string& bin_field = "", const std::string& bin = "") {
  msgpack::sbuffer buf;
  msgpack::packer<msgpack::sbuffer> pk{buf};
  pk.pack_map(static_cast<uint32_t>(j.size() + (bin_field.empty() ? 0 : 1)));
  for (auto it = j.begin(); it != j.end(); ++it) {
    pk.pack(it.key());
    if (it->is_string()) {
      pk.pack(it->get<std::string>());
    } else if (it->is_number_integer()) {
      pk.pack(it->get<int64_t>());
    } else if (it->is_object()) {
      auto inner = json::to_msgpack(*it);
      buf.write(reinterpret_cast<const char*>(inner.data()), inner.size());
    }
  }
  if (!bin_field.empty()) {
    pk.pack(bin_field);
    pk.pack_bin(static_cast<uint32_t>(bin.size()));
    pk.pack_bin_body(bin.data(), static_cast<uint32_t>(bin.size()));
  }
  return {buf.data(), buf.size()};
}

/// Decodes every map of a msgpack frame into JSON (binary as {"bin": bytes}).
std::vector<msgpack::object_handle> unpack_all(const std::string& frame) {
  std::vector<msgpack::object_handle> out;
  std::size_t off = 0;
  while (off < frame.size()) {
    out.push_back(msgpack::unpack(frame.data(), frame.size(), off));
  }
  return out;
}

std::string field_str(const msgpack::object& map, const std::string& key) {
  for (uint32_t i = 0; i < map.via.map.size; ++i) {
    if (map.via.map.ptr[i].key.as<std::string>() == key) {
      return map.via.map.ptr[i].val.type == msgpack::type::STR
                 ? map.via.map.ptr[i].val.as<std::string>()
                 : "";
    }
  }
  return "";
}

const msgpack::object* field(const msgpack::object& map, const std::string& key) {
  for (uint32_t i = 0; i < map.via.map.size; ++i) {
    if (map.via.map.ptr[i].key.as<std::string>() == key) {
      return &map.via.map.ptr[i].val;
    }
  }
  return nullptr;
}

TEST(Encoding, NoSubprotocolMeansJsonAndKnownOnesAreEchoed) {
  test_node node;
  EXPECT_EQ(ws_client(node.port()).subprotocol(), "");
  EXPECT_EQ(ws_client(node.port(), "switchyard.v1.json").subprotocol(), "switchyard.v1.json");
  EXPECT_EQ(ws_client(node.port(), "foo, switchyard.v1.msgpack").subprotocol(),
            "switchyard.v1.msgpack");
}

TEST(Encoding, UnknownSubprotocolOnlyIsRefusedAtHandshake) {
  test_node node;
  EXPECT_THROW(ws_client(node.port(), "mqtt"), std::exception);
  auto [status, body] = http_get(node.port(), "/ws",
                                 {{"Connection", "Upgrade"},
                                  {"Upgrade", "websocket"},
                                  {"Sec-WebSocket-Version", "13"},
                                  {"Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ=="},
                                  {"Sec-WebSocket-Protocol", "mqtt"}});
  EXPECT_EQ(status, 400);
  EXPECT_NE(body.find("subprotocol"), std::string::npos);
}

TEST(Encoding, MsgpackClientRoundTripsAndSharesTopicsWithJsonClients) {
  test_node node;
  ws_client mp{node.port(), "switchyard.v1.msgpack"};
  ws_client js{node.port(), "switchyard.v1.json"};
  mp.send_binary(pack(json{{"op", "connect"}, {"id", 1}}));
  auto frame = mp.read_frame();
  ASSERT_TRUE(frame.has_value());
  auto connect_reply = unpack_all(*frame);
  ASSERT_NE(field(connect_reply[0].get(), "ok"), nullptr);
  js.request(R"("op":"connect")", 1);
  js.request(R"("op":"subscribe","topic":"mixed")", 2);
  mp.send_binary(pack(json{{"op", "subscribe"}, {"id", 2}, {"topic", "mixed"}}));
  ASSERT_TRUE(mp.read_frame().has_value());

  // msgpack publishes binary; the JSON client gets base64 with data_encoding.
  std::string bytes{"\x00\x01\xfe\xff", 4};
  mp.send_binary(pack(json{{"op", "publish"}, {"id", 3}, {"topic", "mixed"}}, "data", bytes));
  auto ev = json::parse(*js.next_containing("\"push\""));
  EXPECT_EQ(ev["seq"], 1);
  EXPECT_EQ(ev["data"], "AAH+/w==");
  EXPECT_EQ(ev["data_encoding"], "base64");

  // JSON publishes an object; the msgpack client gets it as a msgpack map.
  js.request(R"("op":"publish","topic":"mixed","data":{"text":"héllo","n":-5})", 4);
  bool got_binary = false;
  bool got_map = false;
  for (int frames = 0; frames < 6 && !(got_binary && got_map); ++frames) {
    auto f = mp.read_frame();
    ASSERT_TRUE(f.has_value());
    for (auto& h : unpack_all(*f)) {
      const auto& m = h.get();
      if (field_str(m, "push") != "event") {
        continue;
      }
      const auto* data = field(m, "data");
      ASSERT_NE(data, nullptr);
      if (data->type == msgpack::type::BIN) {
        got_binary = std::string(data->via.bin.ptr, data->via.bin.size) == bytes;
      } else if (data->type == msgpack::type::MAP) {
        got_map = field_str(*data, "text") == "héllo" && field(*data, "n")->as<int64_t>() == -5;
      }
    }
  }
  EXPECT_TRUE(got_binary);
  EXPECT_TRUE(got_map);
}

TEST(Encoding, MsgpackBadInputGetsBadRequestInMsgpack) {
  test_node node;
  ws_client mp{node.port(), "switchyard.v1.msgpack"};
  mp.send_binary(std::string{"\xc1", 1}); // never used byte
  auto frame = mp.read_frame();
  ASSERT_TRUE(frame.has_value());
  auto msgs = unpack_all(*frame);
  const auto* err = field(msgs[0].get(), "error");
  ASSERT_NE(err, nullptr);
  EXPECT_EQ(field_str(*err, "code"), "bad_request");
}

} // namespace
} // namespace switchyard::testing
