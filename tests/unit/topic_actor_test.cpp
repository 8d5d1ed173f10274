// The topic actor with a real store writer and registry, driven by a scoped actor
// (no sockets): sequencing, durable-before-delivery, and restart from the store.

#include "actors/interfaces.hpp"
#include "actors/node_context.hpp"
#include "actors/registry.hpp"
#include "actors/store_reader.hpp"
#include "actors/store_writer.hpp"
#include "store/event_store.hpp"
#include "tests/support/test_node.hpp"

#include <caf/all.hpp>
#include <gtest/gtest.h>

namespace switchyard::actors {
namespace {

using namespace std::chrono_literals;

class TopicActor : public ::testing::Test {
protected:
  void SetUp() override {
    std::string error;
    store::store_config cfg;
    cfg.data_dir = (dir_.path() / "data").string();
    cfg.map_size_mb = 64;
    store_ = store::event_store::open(cfg, error);
    ASSERT_TRUE(store_) << error;
    sys_cfg_.set("scheduler.max-threads", size_t{2});
    system_ = std::make_unique<caf::actor_system>(sys_cfg_);
    ctx_.system = system_.get();
    ctx_.store = store_.get();
    ctx_.restarts.backoff_min_ms = 1;
    writer_ = spawn_store_writer(*system_, ctx_);
    registry_ = spawn_registry(*system_, ctx_);
    ctx_.writer = caf::actor_cast<caf::actor>(writer_);
    ctx_.registry = caf::actor_cast<caf::actor>(registry_);
    self_.emplace(*system_);
  }

  void TearDown() override {
    (*self_)
        ->request(registry_, caf::infinite, shutdown_atom::value)
        .receive([](bool) {}, [](caf::error&) {});
    (*self_)->send(writer_, shutdown_atom::value);
    self_.reset();
    ctx_.writer = ctx_.registry = nullptr;
    writer_ = nullptr;
    registry_ = nullptr;
    system_->await_all_actors_done();
    system_.reset();
  }

  topic_actor topic(const std::string& name) {
    topic_actor out;
    (*self_)
        ->request(registry_, 5s, lookup_atom::value, topic_key("acme", name))
        .receive([&](const topic_actor& t) { out = t; },
                 [](caf::error& e) { ADD_FAILURE() << caf::to_string(e); });
    return out;
  }

  uint64_t publish(const topic_actor& t, std::string data) {
    uint64_t seq = 0;
    auto req = std::make_shared<publish_batch>();
    req->events.push_back({std::move(data), "", ""});
    (*self_)
        ->request(t, 5s, publish_atom::value, std::move(req))
        .receive(
            [&](const publish_acks& acks) {
              ASSERT_EQ(acks.events.size(), 1u);
              seq = acks.events[0].seq;
            },
            [](caf::error& e) { ADD_FAILURE() << caf::to_string(e); });
    return seq;
  }

  testing::temp_dir dir_;
  std::unique_ptr<store::event_store> store_;
  caf::actor_system_config sys_cfg_;
  std::unique_ptr<caf::actor_system> system_;
  node_context ctx_;
  store_writer_actor writer_;
  registry_actor registry_;
  std::optional<caf::scoped_actor> self_;
};

TEST_F(TopicActor, RepliesAfterTheEventIsInTheStore) {
  auto t = topic("orders");
  EXPECT_EQ(publish(t, "\x01"), 1u);
  EXPECT_EQ(publish(t, "\x02"), 2u);
  store::topic_info info;
  ASSERT_TRUE(store_->info("acme", "orders", info).ok());
  EXPECT_EQ(info.last_seq, 2u);
}

TEST_F(TopicActor, SubscriberGetsOneSharedBatchEncodedForItsEncoding) {
  auto t = topic("feed");
  uint64_t last = 99;
  (*self_)
      ->request(t, 5s, subscribe_atom::value, protocol::encoding::json, presence_join{})
      .receive([&](uint64_t s) { last = s; }, [](caf::error&) {});
  EXPECT_EQ(last, 0u);
  publish(t, "\x07");
  bool got = false;
  (*self_)->receive(
      [&](events_atom, const event_batch_ptr& batch) {
        ASSERT_EQ(batch->events.size(), 1u);
        EXPECT_EQ(batch->topic, "feed");
        EXPECT_NE(batch->events[0].json.find("\"seq\":1"), std::string::npos);
        EXPECT_TRUE(batch->events[0].msgpack.empty()); // nobody needs msgpack
        got = true;
      },
      caf::after(5s) >> [] {});
  EXPECT_TRUE(got);
}

TEST_F(TopicActor, ARegistryTakenDownTakesItsTopicsWithIt) {
  // Topics are monitored, not linked: the registry stops them itself.
  auto t = topic("orphan");
  publish(t, "\x01");
  (*self_)->monitor(t);
  (*self_)->send_exit(registry_, caf::exit_reason::user_shutdown);
  bool down = false;
  (*self_)->receive([&](caf::down_msg& dm) { down = dm.source == t.address(); },
                    caf::after(5s) >> [] {});
  EXPECT_TRUE(down) << "the topic outlived its registry";
}

TEST_F(TopicActor, RestartedTopicContinuesTheSeqFromTheStore) {
  auto t = topic("ledger");
  publish(t, "\x01");
  publish(t, "\x02");
  (*self_)->monitor(t);
  (*self_)->send(t, crash_atom::value);
  (*self_)->receive([](caf::down_msg&) {}, caf::after(5s) >> [] { ADD_FAILURE(); });
  auto restarted = topic("ledger");
  ASSERT_TRUE(restarted);
  EXPECT_NE(restarted, t);
  EXPECT_EQ(publish(restarted, "\x03"), 3u);
}

} // namespace
} // namespace switchyard::actors
