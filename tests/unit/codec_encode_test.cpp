#include "protocol/codec.hpp"

#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <msgpack.hpp>
#include <nlohmann/json.hpp>

namespace {

using namespace switchyard::protocol;

std::string bytes(std::initializer_list<int> values) {
  std::string s;
  for (int v : values) {
    s += static_cast<char>(v);
  }
  return s;
}

/// A decoded MessagePack reply, read with msgpack-c (not with our own reader).
class unpacked {
public:
  explicit unpacked(const std::string& packed) {
    std::size_t off = 0;
    handle_ = msgpack::unpack(packed.data(), packed.size(), off);
    EXPECT_EQ(off, packed.size()) << "trailing bytes";
  }
  const msgpack::object& root() const { return handle_.get(); }

private:
  msgpack::object_handle handle_;
};

std::vector<std::string> keys_of(const msgpack::object& map) {
  EXPECT_EQ(map.type, msgpack::type::MAP);
  std::vector<std::string> keys;
  for (uint32_t i = 0; i < map.via.map.size; ++i) {
    keys.push_back(map.via.map.ptr[i].key.as<std::string>());
  }
  return keys;
}

const msgpack::object& at(const msgpack::object& map, std::string_view key) {
  for (uint32_t i = 0; i < map.via.map.size; ++i) {
    if (map.via.map.ptr[i].key.as<std::string>() == key) {
      return map.via.map.ptr[i].val;
    }
  }
  ADD_FAILURE() << "no key " << key;
  static const msgpack::object nil;
  return nil;
}

std::string repack(const msgpack::object& o) {
  msgpack::sbuffer buf;
  msgpack::pack(buf, o);
  return {buf.data(), buf.size()};
}

using keys = std::vector<std::string>;

const std::string map_a1 = bytes({0x81, 0xa1, 'a', 0x01}); // {"a":1}
const std::string bin_123 = bytes({0xc4, 0x03, 0x01, 0x02, 0x03});

TEST(CodecEncode, ErrorWithIdAndRetryAfter) {
  EXPECT_EQ(
      encode_error(encoding::json, 7, error_code::throttled, "tenant acme over 500 msg/s", 200),
      R"({"id":7,"error":{"code":"throttled","message":"tenant acme over 500 msg/s","retry_after_ms":200}})");
}

TEST(CodecEncode, ErrorWithoutIdAndEscapedMessage) {
  EXPECT_EQ(encode_error(encoding::json, std::nullopt, error_code::bad_request,
                         "unknown op 'a\"b\\c\n\x01\xff'"),
            "{\"error\":{\"code\":\"bad_request\",\"message\":"
            "\"unknown op 'a\\\"b\\\\c\\n\\u0001\xEF\xBF\xBD'\"}}");
}

TEST(CodecEncode, OkEmpty) {
  EXPECT_EQ(encode_ok_empty(encoding::json, 7), R"({"id":7,"ok":{}})");
}

TEST(CodecEncode, ConnectOk) {
  const connect_ok ok{
      "c-1",       "s-1", "node-a", 25000,
      1048576,     500,   1000,     {{"publish_per_s", 500}, {"max_connections", 9}},
      std::nullopt};
  EXPECT_EQ(encode_connect_ok(encoding::json, 1, ok),
            R"({"id":1,"ok":{"conn":"c-1","session":"s-1","node":"node-a","ping_ms":25000,)"
            R"("limits":{"max_frame_bytes":1048576,"publish_per_s":500,"max_subscriptions":1000,)"
            R"("tenant":{"publish_per_s":500,"max_connections":9}}}})");
}

TEST(CodecEncode, SubscribeAndPublishOk) {
  EXPECT_EQ(encode_subscribe_ok(encoding::json, 2, "t", 5, 3),
            R"({"id":2,"ok":{"topic":"t","seq":5,"replayed":3}})");
  EXPECT_EQ(encode_publish_ok(encoding::json, 3, 6, false),
            R"({"id":3,"ok":{"seq":6,"dup":false}})");
  EXPECT_EQ(encode_publish_ok(encoding::json, -1, 18446744073709551615ULL, true),
            R"({"id":-1,"ok":{"seq":18446744073709551615,"dup":true}})");
}

TEST(CodecEncode, HistoryOk) {
  const std::vector<event_view> events = {{8, 1700000000000, "k", "i", map_a1},
                                          {9, 1700000000001, "", "", bin_123}};
  EXPECT_EQ(
      encode_history_ok(encoding::json, 4, "chat/1", events, 10, 12),
      R"({"id":4,"ok":{"events":[)"
      R"({"topic":"chat/1","seq":8,"ts":1700000000000,"data":{"a":1},"key":"k","idem":"i"},)"
      R"({"topic":"chat/1","seq":9,"ts":1700000000001,"data":"AQID","data_encoding":"base64"})"
      R"(],"next_seq":10,"last_seq":12}})");
  EXPECT_EQ(encode_history_ok(encoding::json, 4, "t", {}, 1, 0),
            R"({"id":4,"ok":{"events":[],"next_seq":1,"last_seq":0}})");
}

TEST(CodecEncode, EventPush) {
  const event_view ev{1, 1700000000000, "", "", map_a1};
  EXPECT_EQ(encode_event_push(encoding::json, "t", ev),
            R"({"push":"event","topic":"t","seq":1,"ts":1700000000000,"data":{"a":1}})");
}

TEST(CodecEncode, EventPushWithEscapedKeyAndIdem) {
  const std::string nil = bytes({0xc0});
  const event_view ev{2, 5, "user \"7\"", "req\t1", nil};
  EXPECT_EQ(
      encode_event_push(encoding::json, "t", ev),
      R"({"push":"event","topic":"t","seq":2,"ts":5,"data":null,"key":"user \"7\"","idem":"req\t1"})");
}

TEST(CodecEncode, EventPushOfBinaryDataIsBase64ForJson) {
  const event_view ev{3, 6, "", "", bin_123};
  EXPECT_EQ(
      encode_event_push(encoding::json, "t", ev),
      R"({"push":"event","topic":"t","seq":3,"ts":6,"data":"AQID","data_encoding":"base64"})");
  // Only top-level binary is flagged; nested binary becomes a plain base64 string.
  const std::string nested_bin = bytes({0x91, 0xc4, 0x01, 0xff});
  const event_view nested{4, 7, "", "", nested_bin};
  EXPECT_EQ(encode_event_push(encoding::json, "t", nested),
            R"({"push":"event","topic":"t","seq":4,"ts":7,"data":["/w=="]})");
}

TEST(CodecEncode, GapAndPingPushes) {
  EXPECT_EQ(encode_gap_push(encoding::json, "t", 3, 9),
            R"({"push":"gap","topic":"t","from":3,"to":9})");
  EXPECT_EQ(encode_ping_push(encoding::json), R"({"push":"ping"})");
  EXPECT_EQ(encode_token_expiring_push(encoding::json, 1800000000000),
            R"({"push":"token_expiring","exp_ms":1800000000000})");
  EXPECT_EQ(encode_slow_down_push(encoding::json, 2, 150, "at the limit"),
            R"({"push":"slow_down","level":2,"retry_after_ms":150,"reason":"at the limit"})");
}

TEST(CodecEncode, MsgpackEventPushEmbedsRawData) {
  const event_view ev{7, 1700000000000, "k", "i", bin_123};
  const auto packed = encode_event_push(encoding::msgpack, "chat/1", ev);
  const unpacked msg(packed);
  EXPECT_EQ(keys_of(msg.root()), (keys{"push", "topic", "seq", "ts", "data", "key", "idem"}));
  EXPECT_EQ(at(msg.root(), "push").as<std::string>(), "event");
  EXPECT_EQ(at(msg.root(), "topic").as<std::string>(), "chat/1");
  EXPECT_EQ(at(msg.root(), "seq").as<uint64_t>(), 7u);
  EXPECT_EQ(at(msg.root(), "ts").as<int64_t>(), 1700000000000);
  EXPECT_EQ(at(msg.root(), "data").type, msgpack::type::BIN);
  EXPECT_EQ(repack(at(msg.root(), "data")), bin_123);
  EXPECT_EQ(at(msg.root(), "key").as<std::string>(), "k");
  EXPECT_EQ(at(msg.root(), "idem").as<std::string>(), "i");
}

TEST(CodecEncode, MsgpackEventPushWithEmptyDataCarriesNil) {
  const unpacked msg(encode_event_push(encoding::msgpack, "t", event_view{1, 2, "", "", ""}));
  EXPECT_EQ(keys_of(msg.root()), (keys{"push", "topic", "seq", "ts", "data"}));
  EXPECT_EQ(at(msg.root(), "data").type, msgpack::type::NIL);
}

TEST(CodecEncode, MsgpackErrorReply) {
  const unpacked with_id(encode_error(encoding::msgpack, 7, error_code::throttled, "slow", 200));
  EXPECT_EQ(keys_of(with_id.root()), (keys{"id", "error"}));
  EXPECT_EQ(at(with_id.root(), "id").as<int64_t>(), 7);
  const auto& err = at(with_id.root(), "error");
  EXPECT_EQ(keys_of(err), (keys{"code", "message", "retry_after_ms"}));
  EXPECT_EQ(at(err, "code").as<std::string>(), "throttled");
  EXPECT_EQ(at(err, "message").as<std::string>(), "slow");
  EXPECT_EQ(at(err, "retry_after_ms").as<int64_t>(), 200);
  const unpacked no_id(encode_error(encoding::msgpack, std::nullopt, "internal", "x"));
  EXPECT_EQ(keys_of(no_id.root()), (keys{"error"}));
  EXPECT_EQ(keys_of(at(no_id.root(), "error")), (keys{"code", "message"}));
}

TEST(CodecEncode, MsgpackOkReplies) {
  const unpacked empty(encode_ok_empty(encoding::msgpack, 7));
  EXPECT_EQ(keys_of(empty.root()), (keys{"id", "ok"}));
  EXPECT_EQ(keys_of(at(empty.root(), "ok")), keys{});

  const unpacked conn(encode_connect_ok(
      encoding::msgpack, 1, {"c", "s", "n", 25000, 1, 2, 3, {{"max_topics", 4}}, std::nullopt}));
  const auto& ok = at(conn.root(), "ok");
  EXPECT_EQ(keys_of(ok), (keys{"conn", "session", "node", "ping_ms", "limits"}));
  EXPECT_EQ(at(ok, "node").as<std::string>(), "n");
  EXPECT_EQ(at(ok, "ping_ms").as<int64_t>(), 25000);
  EXPECT_EQ(keys_of(at(ok, "limits")),
            (keys{"max_frame_bytes", "publish_per_s", "max_subscriptions", "tenant"}));
  EXPECT_EQ(at(at(ok, "limits"), "max_subscriptions").as<int64_t>(), 3);
  EXPECT_EQ(at(at(at(ok, "limits"), "tenant"), "max_topics").as<int64_t>(), 4);

  const unpacked sub(encode_subscribe_ok(encoding::msgpack, 2, "t", 5, 3));
  EXPECT_EQ(keys_of(at(sub.root(), "ok")), (keys{"topic", "seq", "replayed"}));
  EXPECT_EQ(at(at(sub.root(), "ok"), "replayed").as<uint64_t>(), 3u);

  const unpacked pub(encode_publish_ok(encoding::msgpack, 3, 6, true));
  EXPECT_EQ(keys_of(at(pub.root(), "ok")), (keys{"seq", "dup"}));
  EXPECT_EQ(at(at(pub.root(), "ok"), "dup").as<bool>(), true);
}

TEST(CodecEncode, MsgpackHistoryOkKeepsDataRaw) {
  const std::vector<event_view> events = {{8, 1, "", "", map_a1}, {9, 2, "", "", bin_123}};
  const unpacked msg(encode_history_ok(encoding::msgpack, 4, "t", events, 10, 12));
  const auto& ok = at(msg.root(), "ok");
  EXPECT_EQ(keys_of(ok), (keys{"events", "next_seq", "last_seq"}));
  const auto& list = at(ok, "events");
  ASSERT_EQ(list.type, msgpack::type::ARRAY);
  ASSERT_EQ(list.via.array.size, 2u);
  EXPECT_EQ(keys_of(list.via.array.ptr[1]), (keys{"topic", "seq", "ts", "data"}));
  EXPECT_EQ(repack(at(list.via.array.ptr[0], "data")), map_a1);
  EXPECT_EQ(repack(at(list.via.array.ptr[1], "data")), bin_123);
  EXPECT_EQ(at(ok, "last_seq").as<uint64_t>(), 12u);
}

TEST(CodecEncode, MsgpackGapAndPingPushes) {
  const unpacked gap(encode_gap_push(encoding::msgpack, "t", 3, 9));
  EXPECT_EQ(keys_of(gap.root()), (keys{"push", "topic", "from", "to"}));
  EXPECT_EQ(at(gap.root(), "to").as<uint64_t>(), 9u);
  EXPECT_EQ(encode_ping_push(encoding::msgpack),
            bytes({0x81, 0xa4, 'p', 'u', 's', 'h', 0xa4, 'p', 'i', 'n', 'g'}));
}

TEST(DataConvert, JsonToMsgpackToJsonKeepsCompactText) {
  const std::vector<std::string> values = {
      R"({"a":[1,2,{"b":null}],"c":true,"d":false,"e":{}})",
      R"([[],{},"",0,-0.0,1.0])",
      "\"h\xc3\xa9llo \xf0\x9f\x98\x80 \xe2\x82\xac\"",
      R"("quote \" backslash \\ slash / nl \n tab \t cr \r bs \b ff \f ctrl \u0001 \u001f")",
      "[18446744073709551615,9223372036854775807,-9223372036854775808]",
      "[-1,-32,-33,-128,-129,-32768,-32769,127,128,255,256,65535,65536]",
      "[1.5,-0.25,0.1,123456.789,1e+100,1e-07,5e-324,1.7976931348623157e+308]",
      R"({"\u00e9t\u00e9":{"nested":[[[["deep"]]]]}})",
      R"({"zebra":1,"apple":{"y":2,"b":3}})", // key order is the client's
  };
  for (const auto& value : values) {
    const auto packed = json_to_msgpack(value);
    ASSERT_TRUE(packed) << value;
    const auto expected = nlohmann::ordered_json::parse(value).dump();
    EXPECT_EQ(msgpack_to_json(*packed), expected) << value;
  }
  EXPECT_EQ(msgpack_to_json(*json_to_msgpack("[1.5, 2]")), "[1.5,2]");
}

TEST(DataConvert, JsonToMsgpackUsesSmallestIntegersAndFloat64) {
  EXPECT_EQ(json_to_msgpack("1"), bytes({0x01}));
  EXPECT_EQ(json_to_msgpack("-1"), bytes({0xff}));
  EXPECT_EQ(json_to_msgpack("300"), bytes({0xcd, 0x01, 0x2c}));
  EXPECT_EQ(json_to_msgpack("-200"), bytes({0xd1, 0xff, 0x38}));
  EXPECT_EQ(json_to_msgpack("4294967296"), bytes({0xcf, 0, 0, 0, 1, 0, 0, 0, 0}));
  EXPECT_EQ(json_to_msgpack("1.0"), bytes({0xcb, 0x3f, 0xf0, 0, 0, 0, 0, 0, 0}));
  EXPECT_EQ(json_to_msgpack(R"({"k":"v"})"), bytes({0x81, 0xa1, 'k', 0xa1, 'v'}));
}

TEST(DataConvert, JsonToMsgpackRefusesInvalidAndTooDeepText) {
  EXPECT_EQ(json_to_msgpack("{"), std::nullopt);
  EXPECT_EQ(json_to_msgpack("1 2"), std::nullopt);
  EXPECT_EQ(json_to_msgpack("\"\xff\""), std::nullopt);
  EXPECT_EQ(json_to_msgpack("[[[1]]]", 2), std::nullopt);
  EXPECT_EQ(json_to_msgpack("[[1]]", 2), bytes({0x91, 0x91, 0x01}));
  EXPECT_EQ(json_to_msgpack(std::string(100000, '[')), std::nullopt);
}

TEST(DataConvert, MsgpackBinBecomesPaddedBase64) {
  EXPECT_EQ(msgpack_to_json(bytes({0xc4, 0x00})), R"("")");
  EXPECT_EQ(msgpack_to_json(bytes({0xc4, 0x01, 0x01})), R"("AQ==")");
  EXPECT_EQ(msgpack_to_json(bytes({0xc4, 0x02, 0x01, 0x02})), R"("AQI=")");
  EXPECT_EQ(msgpack_to_json(bin_123), R"("AQID")");
  EXPECT_EQ(msgpack_to_json(bytes({0xc5, 0x00, 0x04, 0xfb, 0xff, 0xbf, 0x00})), R"("+/+/AA==")");
}

TEST(DataConvert, InvalidUtf8BecomesReplacementCharacters) {
  const std::string fffd = "\xEF\xBF\xBD";
  const auto str = [](std::string_view s) {
    return static_cast<char>(0xa0 | s.size()) + std::string(s);
  };
  EXPECT_EQ(msgpack_to_json(str("a\xff"
                                "b")),
            "\"a" + fffd + "b\"");
  EXPECT_EQ(msgpack_to_json(str("\xed\xa0\x80")), "\"" + fffd + fffd + fffd + "\""); // surrogate
  EXPECT_EQ(msgpack_to_json(str("\xc0\x80")), "\"" + fffd + fffd + "\"");            // overlong
  EXPECT_EQ(msgpack_to_json(str("x\xf0\x9f\x98")), "\"x" + fffd + "\"");             // cut short
  EXPECT_EQ(msgpack_to_json(str("\xf4\x90\x80\x80")), "\"" + fffd + fffd + fffd + fffd + "\"");
  const auto out = msgpack_to_json(bytes({0x81, 0xa2, 'k', 0xfe, 0xa2, 0xe2, 0x82}));
  EXPECT_EQ(out, "{\"k" + fffd + "\":\"" + fffd + "\"}");
  EXPECT_TRUE(nlohmann::json::accept(out));
}

TEST(DataConvert, MsgpackSpecialValues) {
  EXPECT_EQ(msgpack_to_json(bytes({0xcb, 0x7f, 0xf8, 0, 0, 0, 0, 0, 0})), "null");
  EXPECT_EQ(msgpack_to_json(bytes({0xcb, 0xff, 0xf0, 0, 0, 0, 0, 0, 0})), "null");
  EXPECT_EQ(msgpack_to_json(bytes({0xca, 0x7f, 0x80, 0, 0})), "null");
  EXPECT_EQ(msgpack_to_json(bytes({0xca, 0x3d, 0xcc, 0xcc, 0xcd})), "0.1"); // float32 0.1f
  EXPECT_EQ(msgpack_to_json(bytes({0x92, 0xd4, 0x01, 0x00, 0xc7, 0x01, 0x05, 0x00})),
            "[null,null]");
  EXPECT_EQ(msgpack_to_json(bytes({0xd0, 0x80, 0xd3, 0, 0, 0, 0, 0, 0, 0, 0})), "-128");
  EXPECT_EQ(msgpack_to_json(bytes({0x93, 0xd0, 0x80, 0xe0, 0x7f})), "[-128,-32,127]");
}

TEST(DataConvert, MalformedMsgpackBecomesNull) {
  EXPECT_EQ(msgpack_to_json(""), "null");
  EXPECT_EQ(msgpack_to_json(bytes({0x92, 0x01})), "null");
  EXPECT_EQ(msgpack_to_json(bytes({0xc1})), "null");
  EXPECT_EQ(msgpack_to_json(bytes({0x81, 0x01, 0x02})), "null"); // non-string key
  EXPECT_EQ(msgpack_to_json(std::string(100000, '\x91') + "\xc0"), "null");
}

TEST(DataConvert, MsgpackIsBinaryOnlyForTopLevelBin) {
  EXPECT_TRUE(msgpack_is_binary(bin_123));
  EXPECT_TRUE(msgpack_is_binary(bytes({0xc6, 0, 0, 0, 0})));
  EXPECT_FALSE(msgpack_is_binary(bytes({0xa1, 'a'})));
  EXPECT_FALSE(msgpack_is_binary(bytes({0x91, 0xc4, 0x00})));
  EXPECT_FALSE(msgpack_is_binary(""));
}

} // namespace
