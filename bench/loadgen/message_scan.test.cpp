#include "bench/loadgen/message_scan.hpp"

#include <string>

#include <gtest/gtest.h>

namespace switchyard::bench {

namespace {

std::string event_with(std::string_view data) {
  return R"({"push":"event","topic":"bench","seq":7,"ts":1700000000000,"data":")" +
         std::string(data) + R"("})";
}

} // namespace

TEST(MessageScan, StampRoundTripsThroughAnEvent) {
  std::string payload = make_payload(128);
  write_stamp(payload.data(), {pack_seq(3, 41), 123456789});
  const auto stamp = event_stamp(event_with(payload));
  ASSERT_TRUE(stamp);
  EXPECT_EQ(seq_publisher(stamp->seq), 3u);
  EXPECT_EQ(seq_number(stamp->seq), 41u);
  EXPECT_EQ(stamp->sent_ns, 123456789u);
}

TEST(MessageScan, ForeignDataIsNotAStamp) {
  EXPECT_FALSE(event_stamp(event_with("hello")));
  EXPECT_FALSE(event_stamp(event_with(std::string(32, 'x'))));
  EXPECT_FALSE(event_stamp(R"({"push":"event","topic":"t","seq":1,"ts":1,"data":{"a":1}})"));
}

TEST(MessageScan, ClassifiesEveryKind) {
  EXPECT_EQ(classify(event_with("x")), message_kind::event);
  EXPECT_EQ(classify(R"({"topic":"t","push":"event","data":"x"})"), message_kind::event);
  EXPECT_EQ(classify(R"({"push":"gap","topic":"t","from":3,"to":9})"), message_kind::gap);
  EXPECT_EQ(classify(R"({"push":"ping"})"), message_kind::ping);
  EXPECT_EQ(classify(R"({"push":"slow_down","level":1})"), message_kind::push);
  EXPECT_EQ(classify(R"({"push":"presence","topic":"t","joins":[],"leaves":[]})"),
            message_kind::push);
  EXPECT_EQ(classify(R"({"id":4,"ok":{"seq":12,"dup":false}})"), message_kind::ok);
  EXPECT_EQ(classify(R"({"id":4,"error":{"code":"bad_request","message":"m"}})"),
            message_kind::error);
  EXPECT_EQ(classify("garbage"), message_kind::other);
}

TEST(MessageScan, ReadsUnsignedFieldsByExactKey) {
  const std::string_view ack = R"({"id":4,"ok":{"seq":12,"dup":false}})";
  EXPECT_EQ(uint_field(ack, "id"), 4u);
  EXPECT_EQ(uint_field(ack, "seq"), 12u);
  EXPECT_FALSE(uint_field(ack, "dup"));
  EXPECT_FALSE(uint_field(ack, "missing"));
  EXPECT_EQ(uint_field(R"({"push":"gap","topic":"to","from":3,"to":9})", "to"), 9u);
}

TEST(MessageScan, ListsPresenceJoinsAndLeaves) {
  const std::string_view push =
      R"({"push":"presence","topic":"room","joins":[{"conn":"c12","user":"anonymous",)"
      R"("client":"a"},{"conn":"c13","user":"u","client":"b \"conn\":"}],)"
      R"("leaves":[{"conn":"c7","user":"anonymous","client":"c"}]})";
  std::string seen;
  const auto n = scan_presence(push, [&seen](bool join, std::string_view member) {
    seen += join ? '+' : '-';
    seen += string_field(member, R"("client":")", "?").substr(0, 1);
  });
  EXPECT_EQ(n.joins, 2u);
  EXPECT_EQ(n.leaves, 1u);
  EXPECT_EQ(seen, "+a+b-c");
  const auto none = scan_presence(R"({"push":"presence","topic":"t","joins":[],"leaves":[]})",
                                  [](bool, std::string_view) { ADD_FAILURE(); });
  EXPECT_EQ(none.joins + none.leaves, 0u);
}

} // namespace switchyard::bench
