#include "protocol/codec.hpp"

#include <array>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace {

using namespace switchyard::protocol;
using json = nlohmann::json;

constexpr std::array both_encodings = {encoding::json, encoding::msgpack};

/// The MessagePack twin of a JSON message, its keys in the same order (nlohmann packs
/// 1.5 as float32: tests avoid comparing float bytes across encodings).
std::string to_msgpack_frame(std::string_view json_text) {
  using ordered = nlohmann::ordered_json;
  const auto bytes = ordered::to_msgpack(ordered::parse(json_text));
  return {bytes.begin(), bytes.end()};
}

std::string frame_for(encoding enc, std::string_view json_text) {
  return enc == encoding::json ? std::string(json_text) : to_msgpack_frame(json_text);
}

std::vector<decoded_message> decode(encoding enc, std::string_view frame,
                                    const decode_limits& limits = {}) {
  std::vector<decoded_message> out;
  decode_frame(enc, frame, out, limits);
  return out;
}

client_message decode_ok(encoding enc, std::string_view json_text) {
  std::vector<decoded_message> out;
  EXPECT_TRUE(decode_frame(enc, frame_for(enc, json_text), out)) << json_text;
  if (out.size() != 1 || !std::holds_alternative<client_message>(out[0])) {
    ADD_FAILURE() << "no single client_message for " << json_text;
    return {};
  }
  return std::get<client_message>(out[0]);
}

decode_error decode_raw_error(encoding enc, std::string_view frame) {
  std::vector<decoded_message> out;
  EXPECT_FALSE(decode_frame(enc, frame, out));
  if (out.size() != 1 || !std::holds_alternative<decode_error>(out[0])) {
    ADD_FAILURE() << "no single decode_error";
    return {};
  }
  return std::get<decode_error>(out[0]);
}

decode_error decode_error_of(encoding enc, std::string_view json_text) {
  return decode_raw_error(enc, frame_for(enc, json_text));
}

/// Expects the same error message (and id) from both encodings.
void expect_error(std::string_view json_text, std::string_view message,
                  std::optional<int64_t> id = std::nullopt) {
  for (auto enc : both_encodings) {
    SCOPED_TRACE(enc == encoding::json ? "json" : "msgpack");
    const auto err = decode_error_of(enc, json_text);
    EXPECT_EQ(err.message, message) << json_text;
    EXPECT_EQ(err.id, id) << json_text;
  }
}

std::string bytes(std::initializer_list<int> values) {
  std::string s;
  for (int v : values) {
    s += static_cast<char>(v);
  }
  return s;
}

/// A msgpack publish to topic "t" whose `data` is the given raw bytes.
std::string msgpack_publish_with_data(std::string_view data) {
  return "\x83\xa2op\xa7publish\xa5topic\xa1t\xa4"
         "data" +
         std::string(data);
}

TEST(CodecDecode, ToStringNamesEveryOp) {
  EXPECT_EQ(to_string(op::connect), "connect");
  EXPECT_EQ(to_string(op::subscribe), "subscribe");
  EXPECT_EQ(to_string(op::unsubscribe), "unsubscribe");
  EXPECT_EQ(to_string(op::publish), "publish");
  EXPECT_EQ(to_string(op::ack), "ack");
  EXPECT_EQ(to_string(op::nack), "nack");
  EXPECT_EQ(to_string(op::history), "history");
  EXPECT_EQ(to_string(op::presence), "presence");
  EXPECT_EQ(to_string(op::ping), "ping");
  EXPECT_EQ(to_string(op::refresh), "refresh");
}

TEST(CodecDecode, ValidTopicAcceptsTheTopicAlphabetUpTo200Bytes) {
  EXPECT_TRUE(valid_topic("chat/1"));
  EXPECT_TRUE(valid_topic("a-Z_0.9:/"));
  EXPECT_TRUE(valid_topic(std::string(200, 'a')));
  EXPECT_FALSE(valid_topic(""));
  EXPECT_FALSE(valid_topic(std::string(201, 'a')));
  EXPECT_FALSE(valid_topic("with space"));
  EXPECT_FALSE(valid_topic("star*"));
  EXPECT_FALSE(valid_topic("caf\xc3\xa9"));
  EXPECT_FALSE(valid_topic(std::string("nul\0x", 5)));
}

TEST(CodecDecode, DecodesConnectInBothEncodings) {
  for (auto enc : both_encodings) {
    auto m = decode_ok(enc, R"({"op":"connect","id":1,"token":"jwt","client":"sdk/1.2",)"
                            R"("resume":{"session":"s","topics":{"a":3}}})");
    EXPECT_EQ(m.kind, op::connect);
    EXPECT_EQ(m.id, 1);
    EXPECT_EQ(m.token, "jwt");
    EXPECT_EQ(m.client, "sdk/1.2");
    ASSERT_TRUE(m.resume);
    EXPECT_EQ(m.resume->session, "s");
    ASSERT_EQ(m.resume->topics.size(), 1u);
    EXPECT_EQ(m.resume->topics[0].topic, "a");
    EXPECT_EQ(m.resume->topics[0].last_seq, 3u);
    EXPECT_FALSE(m.resume->topics[0].presence);
    // Topics keep the order the client listed them in; an entry may be {seq, presence}.
    m = decode_ok(enc, R"({"op":"connect","resume":{"session":"s","topics":)"
                       R"({"z":0,"b":{"seq":7,"presence":true},"a":{"seq":1}}}})");
    ASSERT_TRUE(m.resume);
    ASSERT_EQ(m.resume->topics.size(), 3u);
    EXPECT_EQ(m.resume->topics[0].topic, "z");
    EXPECT_EQ(m.resume->topics[1].topic, "b");
    EXPECT_EQ(m.resume->topics[1].last_seq, 7u);
    EXPECT_TRUE(m.resume->topics[1].presence);
    EXPECT_EQ(m.resume->topics[2].topic, "a");
    EXPECT_FALSE(m.resume->topics[2].presence);
    m = decode_ok(enc, R"({"op":"connect","client":{"name":"sdk","version":[1,2]}})");
    EXPECT_FALSE(m.resume);
    EXPECT_EQ(m.id, std::nullopt);
    EXPECT_EQ(m.token, std::nullopt);
    EXPECT_EQ(m.client, R"({"name":"sdk","version":[1,2]})");
  }
  expect_error(R"({"op":"connect","id":2,"resume":[1]})", "field 'resume' must be an object", 2);
  expect_error(R"({"op":"connect","resume":{"topics":{}}})",
               "missing field 'resume.session' (the session of the earlier connect reply)");
  expect_error(R"({"op":"connect","resume":{"session":1}})",
               "field 'resume.session' must be a string");
  expect_error(R"({"op":"connect","resume":{"session":"s","since":1}})",
               "field 'resume' has unknown key 'since' (use 'session' and 'topics')");
  expect_error(R"({"op":"connect","resume":{"session":"s","topics":[]}})",
               "field 'resume.topics' must be an object of topic: last_seq");
  expect_error(R"({"op":"connect","resume":{"session":"s","topics":{"a b":1}}})",
               "field 'resume.topics' has 'a b', not a valid topic name");
  expect_error(R"({"op":"connect","resume":{"session":"s","topics":{"a":-1}}})",
               "field 'resume.topics.a' must be a last seq (a non-negative integer) or "
               "{seq, presence}");
  expect_error(R"({"op":"connect","resume":{"session":"s","topics":{"a":{"presence":true}}}})",
               "missing field 'resume.topics.a.seq'");
  expect_error(R"({"op":"connect","resume":{"session":"s","topics":{"a":{"seq":1,"x":1}}}})",
               "field 'resume.topics.a' has unknown key 'x' (use 'seq' and 'presence')");
  expect_error(R"({"op":"connect","resume":{"session":"s","topics":{"a":{"seq":1,"presence":1}}}})",
               "field 'resume.topics.a.presence' must be a boolean");
  expect_error(R"({"op":"connect","token":5})", "field 'token' must be a string");
}

TEST(CodecDecode, DecodesRefreshWithItsToken) {
  for (auto enc : both_encodings) {
    auto m = decode_ok(enc, R"({"op":"refresh","id":3,"token":"jwt"})");
    EXPECT_EQ(m.kind, op::refresh);
    EXPECT_EQ(m.token, "jwt");
  }
  expect_error(R"({"op":"refresh","id":4})", "missing field 'token'", 4);
}

TEST(CodecDecode, DecodesSubscribeFanoutAndQueueInBothEncodings) {
  for (auto enc : both_encodings) {
    auto m = decode_ok(enc, R"({"op":"subscribe","id":2,"topic":"chat/1"})");
    EXPECT_EQ(m.kind, op::subscribe);
    EXPECT_EQ(m.topic, "chat/1");
    EXPECT_FALSE(m.queue_mode);
    EXPECT_FALSE(m.presence);
    EXPECT_EQ(m.from.has_value(), false);
    m = decode_ok(enc, R"({"op":"subscribe","topic":"jobs","mode":"queue","group":"workers",)"
                       R"("presence":true,"max_inflight":8,"ack_wait_ms":5000})");
    EXPECT_TRUE(m.queue_mode);
    EXPECT_EQ(m.group, "workers");
    EXPECT_TRUE(m.presence);
    EXPECT_EQ(m.max_inflight, 8);
    EXPECT_EQ(m.ack_wait_ms, 5000);
    m = decode_ok(enc, R"({"op":"subscribe","topic":"t","mode":"fanout","key":null})");
    EXPECT_FALSE(m.queue_mode);
  }
  expect_error(R"({"op":"subscribe","topic":"t","mode":"queue"})",
               "missing field 'group' (required by mode \"queue\")");
  expect_error(R"({"op":"subscribe","topic":"t","mode":"broadcast"})",
               "field 'mode' must be \"fanout\" or \"queue\"");
  expect_error(R"({"op":"subscribe","topic":"t","presence":"yes"})",
               "field 'presence' must be a boolean");
  expect_error(R"({"op":"subscribe","topic":"t","max_inflight":0})",
               "field 'max_inflight' must be a positive integer");
  // Durations are added to the clock: huge ones would overflow it.
  expect_error(R"({"op":"subscribe","topic":"t","ack_wait_ms":9223372036854775807})",
               "field 'ack_wait_ms' must be at most 1099511627776 (ms)");
  expect_error(R"({"op":"publish","topic":"t","data":1,"ttl_ms":4611686018427387904})",
               "field 'ttl_ms' must be at most 1099511627776 (ms)");
  expect_error(R"({"op":"nack","topic":"t","group":"g","seq":1,"delay_ms":1099511627777})",
               "field 'delay_ms' must be at most 1099511627776 (ms)");
  expect_error(R"({"op":"subscribe","topic":"t","mode":"queue","group":"a b"})",
               "field 'group' is not a valid group name");
}

TEST(CodecDecode, DecodesSubscribeStartPositions) {
  for (auto enc : both_encodings) {
    auto m = decode_ok(enc, R"({"op":"subscribe","topic":"t","from":{"seq":5}})");
    ASSERT_TRUE(m.from);
    EXPECT_EQ(m.from->from, start_position::kind::seq);
    EXPECT_EQ(m.from->value, 5);
    m = decode_ok(enc, R"({"op":"subscribe","topic":"t","from":{"since_ms":1700000000000}})");
    ASSERT_TRUE(m.from);
    EXPECT_EQ(m.from->from, start_position::kind::since_ms);
    EXPECT_EQ(m.from->value, 1700000000000);
    m = decode_ok(enc, R"({"op":"subscribe","topic":"t","from":{"last":0}})");
    ASSERT_TRUE(m.from);
    EXPECT_EQ(m.from->from, start_position::kind::last);
    EXPECT_EQ(m.from->value, 0);
  }
  const std::string shape =
      "field 'from' must be an object with exactly one of 'seq', 'since_ms', 'last'";
  expect_error(R"({"op":"subscribe","topic":"t","from":{}})", shape);
  expect_error(R"({"op":"subscribe","topic":"t","from":{"seq":1,"last":2}})", shape);
  expect_error(R"({"op":"subscribe","topic":"t","from":5})", shape);
  expect_error(R"({"op":"subscribe","topic":"t","from":{"first":1}})",
               "field 'from' has unknown key 'first' (use 'seq', 'since_ms' or 'last')");
  expect_error(R"({"op":"subscribe","topic":"t","from":{"seq":-1}})",
               "field 'from.seq' must be a non-negative integer");
}

TEST(CodecDecode, DecodesUnsubscribeInBothEncodings) {
  for (auto enc : both_encodings) {
    auto m = decode_ok(enc, R"({"op":"unsubscribe","id":4,"topic":"t","group":"g"})");
    EXPECT_EQ(m.kind, op::unsubscribe);
    EXPECT_EQ(m.topic, "t");
    EXPECT_EQ(m.group, "g");
    m = decode_ok(enc, R"({"op":"unsubscribe","topic":"t"})");
    EXPECT_EQ(m.group, std::nullopt);
  }
}

TEST(CodecDecode, DecodesPublishInBothEncodings) {
  for (auto enc : both_encodings) {
    const auto m = decode_ok(
        enc, R"({"op":"publish","id":3,"topic":"chat/1","data":{"a":[1,-2,"x",null,true]},)"
             R"("key":"user-7","idem":"req-1","ttl_ms":60000,"extra":"ignored"})");
    EXPECT_EQ(m.kind, op::publish);
    EXPECT_EQ(m.id, 3);
    EXPECT_EQ(m.topic, "chat/1");
    EXPECT_EQ(m.data, bytes({0x81, 0xa1, 'a', 0x95, 0x01, 0xfe, 0xa1, 'x', 0xc0, 0xc3}));
    EXPECT_EQ(m.key, "user-7");
    EXPECT_EQ(m.idem, "req-1");
    EXPECT_EQ(m.ttl_ms, 60000);
  }
}

TEST(CodecDecode, PublishDataMayBeNullButNotAbsent) {
  for (auto enc : both_encodings) {
    const auto m = decode_ok(enc, R"({"op":"publish","topic":"t","data":null})");
    EXPECT_EQ(m.data, bytes({0xc0}));
  }
  expect_error(R"({"op":"publish","id":5,"topic":"t"})", "missing field 'data'", 5);
}

TEST(CodecDecode, JsonPublishDataKeepsIntegerClassesAndFloat64) {
  const auto m = decode_ok(
      encoding::json, R"({"op":"publish","topic":"t","data":[1.5,300,-200,18446744073709551615]})");
  EXPECT_EQ(m.data,
            bytes({0x94, 0xcb, 0x3f, 0xf8, 0,    0,    0,    0,    0,    0,    0xcd, 0x01, 0x2c,
                   0xd1, 0xff, 0x38, 0xcf, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}));
}

TEST(CodecDecode, MsgpackDataKeepsTheClientBytes) {
  const std::vector<std::string> values = {
      bytes({0xc4, 0x03, 0x00, 0xff, 0x10}),                                  // binary stays binary
      bytes({0xcb, 0x3f, 0xf0, 0, 0, 0, 0, 0, 0}),                            // 1.0 stays a float64
      bytes({0x92, 0xca, 0x3f, 0x80, 0, 0, 0xcb, 0x80, 0, 0, 0, 0, 0, 0, 0}), // [1.0f, -0.0]
      bytes({0x81, 0xa1, 'k', 0xd9, 0x01, 'v'}), // str8 for a short string
  };
  for (const auto& value : values) {
    std::vector<decoded_message> out;
    ASSERT_TRUE(decode_frame(encoding::msgpack, msgpack_publish_with_data(value), out));
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(std::get<client_message>(out[0]).data, value);
  }
  // With `data` repeated, the last one wins, as it does for JSON objects.
  const std::string repeated = "\x84\xa2op\xa7publish\xa5topic\xa1t\xa4"
                               "data\x01\xa4"
                               "data\x02";
  std::vector<decoded_message> out;
  ASSERT_TRUE(decode_frame(encoding::msgpack, repeated, out));
  EXPECT_EQ(std::get<client_message>(out[0]).data, bytes({0x02}));
}

TEST(CodecDecode, DecodesAckAndNackInBothEncodings) {
  for (auto enc : both_encodings) {
    auto m = decode_ok(enc, R"({"op":"ack","id":6,"topic":"jobs","group":"w","seq":42})");
    EXPECT_EQ(m.kind, op::ack);
    EXPECT_EQ(m.topic, "jobs");
    EXPECT_EQ(m.group, "w");
    EXPECT_EQ(m.seq, 42);
    m = decode_ok(enc, R"({"op":"nack","topic":"jobs","group":"w","seq":43,"delay_ms":1000})");
    EXPECT_EQ(m.kind, op::nack);
    EXPECT_EQ(m.seq, 43);
    EXPECT_EQ(m.delay_ms, 1000);
  }
  expect_error(R"({"op":"ack","topic":"jobs","seq":1})", "missing field 'group'");
  expect_error(R"({"op":"ack","topic":"jobs","group":"w"})", "missing field 'seq'");
  expect_error(R"({"op":"nack","topic":"jobs","group":"w","seq":1,"delay_ms":-5})",
               "field 'delay_ms' must be a non-negative integer");
}

TEST(CodecDecode, DecodesHistoryInBothEncodings) {
  for (auto enc : both_encodings) {
    auto m = decode_ok(enc, R"({"op":"history","id":8,"topic":"t","from_seq":0,"limit":1000})");
    EXPECT_EQ(m.kind, op::history);
    EXPECT_EQ(m.from_seq, 0);
    EXPECT_EQ(m.since_ms, std::nullopt);
    EXPECT_EQ(m.limit, 1000);
    m = decode_ok(enc, R"({"op":"history","topic":"t","since_ms":1700000000000})");
    EXPECT_EQ(m.since_ms, 1700000000000);
    EXPECT_EQ(m.limit, std::nullopt);
  }
}

TEST(CodecDecode, RejectsHistoryLimitOutOfRange) {
  const std::string message = "field 'limit' must be an integer between 1 and 1000";
  expect_error(R"({"op":"history","id":1,"topic":"t","from_seq":1,"limit":0})", message, 1);
  expect_error(R"({"op":"history","id":1,"topic":"t","from_seq":1,"limit":1001})", message, 1);
  expect_error(R"({"op":"history","id":1,"topic":"t","from_seq":1,"limit":"10"})", message, 1);
}

TEST(CodecDecode, RejectsHistoryWithBothOrNoneOfFromSeqAndSinceMs) {
  expect_error(R"({"op":"history","topic":"t","from_seq":1,"since_ms":2})",
               "fields 'from_seq' and 'since_ms' exclude each other");
  expect_error(R"({"op":"history","topic":"t"})", "missing field 'from_seq' or 'since_ms'");
  expect_error(R"({"op":"history","topic":"t","from_seq":-3})",
               "field 'from_seq' must be a non-negative integer");
}

TEST(CodecDecode, DecodesPresenceAndPingInBothEncodings) {
  for (auto enc : both_encodings) {
    auto m = decode_ok(enc, R"({"op":"presence","id":9,"topic":"room"})");
    EXPECT_EQ(m.kind, op::presence);
    EXPECT_EQ(m.topic, "room");
    m = decode_ok(enc, R"({"op":"ping"})");
    EXPECT_EQ(m.kind, op::ping);
    EXPECT_EQ(m.id, std::nullopt);
  }
}

TEST(CodecDecode, RejectsMalformedJsonWithBytePosition) {
  EXPECT_EQ(decode_raw_error(encoding::json, R"({"op":"ping",})").message,
            "malformed JSON at byte 13");
  const auto out = decode(encoding::json, "{\"op\":\"ping\"}\n{\"op\":\"ping\",}");
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(std::get<decode_error>(out[1]).message, "malformed JSON at byte 27");
  EXPECT_EQ(decode_raw_error(encoding::json, "{\"op\":\"p\xff\"}").message,
            "malformed JSON at byte 8");
}

TEST(CodecDecode, RejectsMessageThatIsNotAnObject) {
  EXPECT_EQ(decode_raw_error(encoding::json, "[1,2]").message, "message must be a JSON object");
  EXPECT_EQ(decode_raw_error(encoding::json, "\"op\"").message, "message must be a JSON object");
  EXPECT_EQ(decode_raw_error(encoding::msgpack, bytes({0x92, 0x01, 0x02})).message,
            "message must be a MessagePack map");
}

TEST(CodecDecode, RejectsMissingOrNonStringOp) {
  expect_error(R"({"id":3,"topic":"t"})", "missing field 'op'", 3);
  expect_error(R"({"id":3,"op":7})", "field 'op' must be a string", 3);
}

TEST(CodecDecode, RejectsUnknownOpWithBadRequestMessage) {
  expect_error(R"({"id":7,"op":"frobnicate"})", "unknown op 'frobnicate'", 7);
  const std::string long_op(100, 'x');
  expect_error(R"({"op":")" + long_op + "\"}", "unknown op '" + std::string(64, 'x') + "...'");
}

TEST(CodecDecode, RejectsMissingRequiredFields) {
  expect_error(R"({"op":"subscribe","id":1})", "missing field 'topic'", 1);
  expect_error(R"({"op":"publish","data":1})", "missing field 'topic'");
  expect_error(R"({"op":"presence","topic":null})", "missing field 'topic'");
}

TEST(CodecDecode, RejectsWrongFieldTypes) {
  expect_error(R"({"op":"publish","id":1,"topic":5,"data":1})", "field 'topic' must be a string",
               1);
  expect_error(R"({"op":"publish","topic":"t","data":1,"key":[]})", "field 'key' must be a string");
  expect_error(R"({"op":"publish","topic":"t","data":1,"ttl_ms":1.5})",
               "field 'ttl_ms' must be a positive integer");
  expect_error(R"({"op":"ack","topic":"t","group":"g","seq":"1"})",
               "field 'seq' must be a positive integer");
}

TEST(CodecDecode, RejectsInvalidTopic) {
  expect_error(R"({"op":"publish","id":9,"topic":"bad topic!","data":1})",
               "field 'topic' is not a valid topic name", 9);
  expect_error(R"({"op":"subscribe","topic":""})", "field 'topic' is not a valid topic name");
  expect_error(R"({"op":"subscribe","topic":")" + std::string(201, 'a') + "\"}",
               "field 'topic' is not a valid topic name");
}

TEST(CodecDecode, RejectsIdemLongerThan128Bytes) {
  const std::string ok =
      R"({"op":"publish","topic":"t","data":1,"idem":")" + std::string(128, 'i') + "\"}";
  for (auto enc : both_encodings) {
    EXPECT_EQ(decode_ok(enc, ok).idem, std::string(128, 'i'));
  }
  expect_error(R"({"op":"publish","id":2,"topic":"t","data":1,"idem":")" + std::string(129, 'i') +
                   "\"}",
               "field 'idem' longer than 128 bytes", 2);
  expect_error(R"({"op":"publish","topic":"t","data":1,"idem":""})",
               "field 'idem' must not be empty");
}

TEST(CodecDecode, RejectsNonIntegerIdAndRecoversIntegerIds) {
  expect_error(R"({"id":"7","op":"ping"})", "field 'id' must be an integer");
  expect_error(R"({"id":1.5,"op":"ping"})", "field 'id' must be an integer");
  expect_error(R"({"id":9223372036854775808,"op":"ping"})", "field 'id' must be an integer");
  expect_error(R"({"id":-4,"op":"nope"})", "unknown op 'nope'", -4);
  for (auto enc : both_encodings) {
    EXPECT_EQ(decode_ok(enc, R"({"id":9223372036854775807,"op":"ping"})").id, 9223372036854775807);
  }
}

TEST(CodecDecode, RejectsMsgpackExtensionTypeWithId) {
  const std::string frame = "\x84\xa2id\x05\xa2op\xa7publish\xa5topic\xa1t\xa4"
                            "data" +
                            bytes({0x91, 0xd4, 0x01, 0x00});
  const auto err = decode_raw_error(encoding::msgpack, frame);
  EXPECT_EQ(err.message, "field 'data' holds an extension type");
  EXPECT_EQ(err.id, 5);
}

TEST(CodecDecode, RejectsNonStringMapKeys) {
  EXPECT_EQ(decode_raw_error(encoding::msgpack,
                             msgpack_publish_with_data(bytes({0x81, 0xa1, 'a', 0x81, 0x01, 0xc0})))
                .message,
            "field 'data' holds a map key that is not a string");
  EXPECT_EQ(decode_raw_error(encoding::msgpack, bytes({0x81, 0x01, 0xc0})).message,
            "message keys must be strings");
  EXPECT_EQ(decode_raw_error(encoding::msgpack, "\x82\xa2op\xa7"
                                                "connect\xa6"
                                                "client\x81\xc3\xc0")
                .message,
            "field 'client' holds a map key that is not a string");
}

std::string nested(std::string_view open, std::string_view close, std::size_t n,
                   std::string_view inner) {
  std::string s;
  for (std::size_t i = 0; i < n; ++i) {
    s += open;
  }
  s += inner;
  for (std::size_t i = 0; i < n; ++i) {
    s += close;
  }
  return s;
}

TEST(CodecDecode, RefusesJsonDepthBomb) {
  const auto frame = R"({"op":"publish","topic":"t","data":)" + nested("[", "]", 100000, "") + "}";
  EXPECT_EQ(decode_raw_error(encoding::json, frame).message, "message nests deeper than 64 levels");
  EXPECT_EQ(decode_raw_error(encoding::json, nested("[", "", 100000, "")).message,
            "message nests deeper than 64 levels");
}

TEST(CodecDecode, RefusesMsgpackDepthBomb) {
  const auto frame = msgpack_publish_with_data(std::string(100000, '\x91') + "\xc0");
  EXPECT_EQ(decode_raw_error(encoding::msgpack, frame).message,
            "message nests deeper than 64 levels");
}

TEST(CodecDecode, AcceptsNestingUpToMaxDepthInBothEncodings) {
  // The message map is level 1, so `data` may open 63 more.
  const auto at_limit = R"({"op":"publish","topic":"t","data":)" + nested("[", "]", 63, "1") + "}";
  const auto over = R"({"op":"publish","topic":"t","data":)" + nested("[", "]", 64, "1") + "}";
  for (auto enc : both_encodings) {
    EXPECT_EQ(decode_ok(enc, at_limit).data, std::string(63, '\x91') + "\x01");
    EXPECT_EQ(decode_error_of(enc, over).message, "message nests deeper than 64 levels");
  }
}

TEST(CodecDecode, RejectsTruncatedMsgpackAfterDecodingTheMessagesBeforeIt) {
  const auto ping = to_msgpack_frame(R"({"op":"ping","id":1})");
  const auto publish = to_msgpack_frame(R"({"op":"publish","topic":"t","data":"hello"})");
  const auto frame = ping + publish.substr(0, publish.size() - 2);
  const auto out = decode(encoding::msgpack, frame);
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(std::get<client_message>(out[0]).id, 1);
  EXPECT_EQ(std::get<decode_error>(out[1]).message,
            "truncated MessagePack message at byte " + std::to_string(frame.size()));
  // A header that claims more elements than the frame could hold is truncated too.
  EXPECT_EQ(
      decode_raw_error(encoding::msgpack, bytes({0xdd, 0x7f, 0xff, 0xff, 0xff, 0xc0})).message,
      "truncated MessagePack message at byte 6");
}

TEST(CodecDecode, RejectsMsgpackNeverUsedByte) {
  EXPECT_EQ(decode_raw_error(encoding::msgpack, bytes({0x81, 0xa2, 'o', 'p', 0xc1})).message,
            "malformed MessagePack at byte 4");
}

TEST(CodecDecode, DecodesMultiMessageJsonFrameWithCrLfAndBlankLines) {
  std::vector<decoded_message> out;
  EXPECT_TRUE(decode_frame(
      encoding::json, "{\"op\":\"ping\",\"id\":1}\r\n\n  \r\n{\"op\":\"ping\",\"id\":2}\n", out));
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(std::get<client_message>(out[0]).id, 1);
  EXPECT_EQ(std::get<client_message>(out[1]).id, 2);
}

TEST(CodecDecode, ReportsOneBadLineAmongGoodOnes) {
  std::vector<decoded_message> out;
  EXPECT_FALSE(decode_frame(
      encoding::json,
      "{\"op\":\"ping\",\"id\":1}\n{\"op\":\"bad\",\"id\":2}\n{\"op\":\"ping\",\"id\":3}", out));
  ASSERT_EQ(out.size(), 3u);
  EXPECT_EQ(std::get<client_message>(out[0]).id, 1);
  EXPECT_EQ(std::get<decode_error>(out[1]).id, 2);
  EXPECT_EQ(std::get<decode_error>(out[1]).message, "unknown op 'bad'");
  EXPECT_EQ(std::get<client_message>(out[2]).id, 3);
}

TEST(CodecDecode, DecodesBackToBackMsgpackMapsAndContinuesAfterABadOne) {
  const auto frame = to_msgpack_frame(R"({"op":"ping","id":1})") +
                     to_msgpack_frame(R"({"op":"ping","id":"two"})") +
                     to_msgpack_frame(R"({"op":"presence","id":3,"topic":"t"})");
  std::vector<decoded_message> out;
  EXPECT_FALSE(decode_frame(encoding::msgpack, frame, out));
  ASSERT_EQ(out.size(), 3u);
  EXPECT_EQ(std::get<client_message>(out[0]).id, 1);
  EXPECT_EQ(std::get<decode_error>(out[1]).message, "field 'id' must be an integer");
  EXPECT_EQ(std::get<client_message>(out[2]).kind, op::presence);
}

TEST(CodecDecode, RefusesMessagesBeyondMaxMessagesAsOneError) {
  decode_limits limits;
  limits.max_messages = 2;
  const std::string ping = R"({"op":"ping"})";
  for (auto enc : both_encodings) {
    const auto one = frame_for(enc, ping);
    const auto sep = enc == encoding::json ? "\n" : "";
    std::vector<decoded_message> out;
    EXPECT_FALSE(decode_frame(enc, one + sep + one + sep + one + sep + one, out, limits));
    ASSERT_EQ(out.size(), 3u);
    EXPECT_TRUE(std::holds_alternative<client_message>(out[1]));
    EXPECT_EQ(std::get<decode_error>(out[2]).message,
              "frame carries more than 2 messages; the rest were refused");
    out.clear();
    EXPECT_TRUE(decode_frame(enc, one + sep + one, out, limits));
  }
}

const std::string split_frame =
    "{\"op\":\"connect\",\"id\":1,\"token\":\"a.b.c\"}\n"
    "{\"op\":\"publish\",\"id\":2,\"topic\":\"chat/"
    "1\",\"data\":{\"t\":\"h\\u00e9\\n\",\"n\":[1,2.5]}}\r\n"
    "\n"
    "{\"op\":\"subscribe\",\"id\":3,\"topic\":\"chat/1\",\"from\":{\"seq\":1}}\n";

std::size_t non_blank_lines(std::string_view s) {
  std::size_t n = 0;
  for (std::size_t pos = 0; pos < s.size();) {
    const auto end = std::min(s.find('\n', pos), s.size());
    n += s.substr(pos, end - pos).find_first_not_of("\r") != std::string_view::npos;
    pos = end + 1;
  }
  return n;
}

TEST(CodecDecode, SurvivesJsonFrameSplitAtEveryOffset) {
  for (std::size_t cut = 0; cut <= split_frame.size(); ++cut) {
    const std::string_view head = std::string_view(split_frame).substr(0, cut);
    const std::string_view tail = std::string_view(split_frame).substr(cut);
    std::vector<decoded_message> out;
    const bool head_ok = decode_frame(encoding::json, head, out);
    const bool tail_ok = decode_frame(encoding::json, tail, out);
    EXPECT_EQ(out.size(), non_blank_lines(head) + non_blank_lines(tail)) << "cut " << cut;
    if (cut == 0 || split_frame[cut - 1] == '\n') {
      EXPECT_TRUE(head_ok && tail_ok) << "cut " << cut;
    }
  }
}

TEST(CodecDecode, SurvivesMsgpackFrameSplitAtEveryOffset) {
  std::string frame;
  std::vector<std::size_t> boundaries = {0};
  for (std::size_t pos = 0; pos < split_frame.size();) {
    const auto end = split_frame.find('\n', pos);
    const auto line = std::string_view(split_frame).substr(pos, end - pos);
    if (line.find('{') != std::string_view::npos) {
      frame += to_msgpack_frame(line);
      boundaries.push_back(frame.size());
    }
    pos = end + 1;
  }
  for (std::size_t cut = 0; cut <= frame.size(); ++cut) {
    std::vector<decoded_message> out;
    const bool head_ok =
        decode_frame(encoding::msgpack, std::string_view(frame).substr(0, cut), out);
    decode_frame(encoding::msgpack, std::string_view(frame).substr(cut), out);
    const bool at_boundary =
        std::find(boundaries.begin(), boundaries.end(), cut) != boundaries.end();
    EXPECT_EQ(head_ok, at_boundary) << "cut " << cut;
  }
}

} // namespace
