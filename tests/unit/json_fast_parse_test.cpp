// The fast JSON parse (simdjson) against the protocol's own (nlohmann-json): it must take
// ordinary messages, and for every text it takes build exactly the value the other one
// builds; what it cannot build the same way it leaves to the other one.

#include "protocol/detail/json_value.hpp"

#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace switchyard::protocol::detail {
namespace {

constexpr std::size_t depth = 64;

std::string msgpack_of(const nlohmann::ordered_json& v) {
  std::string out;
  append_msgpack(out, v);
  return out;
}

TEST(JsonFastParse, TakesAnOrdinaryPublish) {
  const std::string text =
      R"({"id":42,"op":"publish","topic":"chat/room-1","data":{"text":"hi","n":[1,-2,2.5]}})";
  const auto fast = parse_json_fast(text, depth);
  ASSERT_TRUE(fast.has_value());
  EXPECT_EQ(*fast, parse_json_limited(text, depth));
}

TEST(JsonFastParse, BuildsWhatTheProtocolParserBuildsOrStepsAside) {
  const std::vector<std::string> texts = {
      R"({"a":1,"a":2,"b":3})", // a repeated key: first place, last value
      R"([0,-0,1,-1,9223372036854775807,-9223372036854775808,18446744073709551615])",
      R"([0.1,1e308,-2.5e-300,1E2,-0.0])",
      R"(["\u00e9","\ud83d\ude00","\t\"\\\/","é"])",
      R"({"s":"\udc00"})", // a lone surrogate: refused by both
      R"({"n":1e400})",    // out of range for a double
      R"({"m":-9223372036854775809,"u":18446744073709551616})",
      R"({"trailing":1} x)",
      R"({"a":01})",
      "\xEF\xBB\xBF{\"bom\":1}",
      "{\"bad\":\"\xff\"}",
      std::string(depth, '[') + std::string(depth, ']'),
      std::string(depth + 1, '[') + std::string(depth + 1, ']'),
  };
  for (const auto& text : texts) {
    SCOPED_TRACE(text);
    const auto fast = parse_json_fast(text, depth);
    nlohmann::ordered_json slow;
    bool slow_ok = true;
    try {
      slow = parse_json_limited(text, depth);
    } catch (...) {
      slow_ok = false;
    }
    if (!fast) {
      continue; // left to the protocol's parser
    }
    ASSERT_TRUE(slow_ok) << "the fast parse took a text the protocol's parser refuses";
    EXPECT_EQ(*fast, slow);
    EXPECT_EQ(msgpack_of(*fast), msgpack_of(slow));
  }
}

} // namespace
} // namespace switchyard::protocol::detail
