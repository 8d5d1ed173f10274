// Unsubscribe, then subscribe again, while the topic keeps publishing: batches the topic
// sent before it saw the unsubscribe must never reach the new subscription.

#include "tests/support/protocol_helpers.hpp"
#include "tests/support/test_node.hpp"

#include <atomic>
#include <thread>

#include <gtest/gtest.h>

namespace switchyard::testing {
namespace {

/// Publishes to `topic` from its own connection until stopped; returns how many.
class background_publisher {
public:
  background_publisher(uint16_t port, std::string topic) : client_(port), topic_(std::move(topic)) {
    connect(client_);
    thread_ = std::thread([this] {
      int64_t id = 10;
      while (!stop_) {
        client_.send_text(publish_frame(topic_, id, id, 20));
        for (int i = 0; i < 20; ++i) {
          if (!client_.next()) {
            return;
          }
        }
        id += 20;
      }
    });
  }
  ~background_publisher() {
    stop_ = true;
    thread_.join();
  }

private:
  ws_client client_;
  std::string topic_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

/// The pushes of a churned subscription, checked as a client sees them: seqs only ever
/// go up, and after an unsubscribe's reply nothing arrives until the next subscribe's.
class churn_reader {
public:
  explicit churn_reader(ws_client& c) : c_(c) {}

  /// Reads until the reply with `id`; `allow_events`: pushes may come before it.
  void until_reply(int64_t id, bool allow_events) {
    while (auto msg = c_.next(10s)) {
      auto m = json::parse(*msg);
      if (m.contains("id")) {
        ASSERT_TRUE(m.contains("ok")) << m.dump();
        if (m["id"] == id) {
          return;
        }
        continue;
      }
      ASSERT_TRUE(allow_events) << "a push between unsubscribe and subscribe: " << m.dump();
      take(m);
    }
    FAIL() << "no reply " << id;
  }

  /// Reads `n` pushes.
  void events(int n) {
    for (int i = 0; i < n; ++i) {
      auto msg = c_.next(10s);
      ASSERT_TRUE(msg.has_value());
      take(json::parse(*msg));
    }
  }

  uint64_t last() const { return last_; }
  int seen() const { return seen_; }

private:
  void take(const json& m) {
    const bool gap = m.value("push", "") == "gap";
    const auto first = gap ? m["from"].get<uint64_t>() : m["seq"].get<uint64_t>();
    EXPECT_GT(first, last_) << "repeated or reordered: " << m.dump();
    last_ = gap ? m["to"].get<uint64_t>() : first;
    ++seen_;
  }

  ws_client& c_;
  uint64_t last_ = 0;
  int seen_ = 0;
};

// Unsubscribe and subscribe in one frame: the connection takes both before the topic's
// batches in flight reach it, the window where they used to leak into the new one.
TEST(Resubscribe, LiveResubscriptionsUnderConcurrentPublishingNeverRepeatOrReorder) {
  test_node node;
  ws_client sub{node.port()};
  connect(sub);
  ASSERT_TRUE(json::parse(sub.request(R"("op":"subscribe","topic":"churn")", 2)).contains("ok"));
  background_publisher pub{node.port(), "churn"};
  churn_reader reader{sub};
  reader.events(5);
  for (int64_t id = 100; id < 160; id += 2) {
    sub.send_text(R"({"id":)" + std::to_string(id) + R"(,"op":"unsubscribe","topic":"churn"})" +
                  "\n" + R"({"id":)" + std::to_string(id + 1) +
                  R"(,"op":"subscribe","topic":"churn"})");
    ASSERT_NO_FATAL_FAILURE(reader.until_reply(id, true));
    ASSERT_NO_FATAL_FAILURE(reader.until_reply(id + 1, false));
    ASSERT_NO_FATAL_FAILURE(reader.events(5));
  }
}

// Resuming right after the last seq seen (read once the unsubscribe was answered):
// the replay continues exactly where the client stopped.
TEST(Resubscribe, ResubscribingFromTheNextSeqUnderConcurrentPublishingNeverRepeatsOrReorders) {
  test_node node;
  ws_client sub{node.port()};
  connect(sub);
  ASSERT_TRUE(json::parse(sub.request(R"("op":"subscribe","topic":"churn")", 2)).contains("ok"));
  background_publisher pub{node.port(), "churn"};
  churn_reader reader{sub};
  reader.events(5);
  for (int64_t id = 100; id < 160; id += 2) {
    sub.send_text(R"({"id":)" + std::to_string(id) + R"(,"op":"unsubscribe","topic":"churn"})");
    ASSERT_NO_FATAL_FAILURE(reader.until_reply(id, true));
    sub.send_text(R"({"id":)" + std::to_string(id + 1) +
                  R"(,"op":"subscribe","topic":"churn","from":{"seq":)" +
                  std::to_string(reader.last() + 1) + "}}");
    ASSERT_NO_FATAL_FAILURE(reader.until_reply(id + 1, false));
    const auto before = reader.last();
    ASSERT_NO_FATAL_FAILURE(reader.events(5));
    EXPECT_GT(reader.last(), before);
  }
}

} // namespace
} // namespace switchyard::testing
