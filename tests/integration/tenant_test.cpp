// Tenant limits over real sockets, in both encodings (PROTOCOL.md, Errors and
// slow_down): `connect` reports the tenant's limits (defaults and overrides), past
// max_connections and max_subscriptions the next one is `throttled`, publishes past the
// rates are `throttled` with retry_after_ms and the tenant's publishers get `slow_down`,
// sustained overload opens the tenant's circuit breaker (`circuit_open`) until its
// cool-down ends, a reload takes new limits, and another tenant notices none of it.

#include "tests/support/encoded_client.hpp"
#include "tests/support/test_node.hpp"
#include "tests/support/token_signer.hpp"

#include <thread>

#include <gtest/gtest.h>

namespace switchyard::testing {
namespace {

constexpr std::string_view tenant_key = "tenant-test-key-that-is-at-least-32-bytes";

class Tenants : public ::testing::TestWithParam<wire> {
protected:
  /// auth.mode jwt, so connections can name their tenant; then `limits` for the test.
  static std::function<void(runtime::node_config&)>
  with(const std::function<void(actors::tenant_policy&)>& limits) {
    return [limits](runtime::node_config& cfg) {
      cfg.auth_mode = "jwt";
      cfg.auth.jwt = true;
      cfg.auth.jwt_secret = std::string{tenant_key};
      limits(cfg.tenants);
    };
  }
  static json connect_as(encoded_client& c, const std::string& tenant,
                         const std::string& user = "u") {
    const json claims = {{"sub", user}, {"tenant", tenant}, {"exp", epoch_seconds(3600)}};
    return c.request({{"op", "connect"}, {"token", hs256_token(claims, tenant_key)}}, 1);
  }
  static std::unique_ptr<encoded_client> connected(uint16_t port, wire w,
                                                   const std::string& tenant) {
    auto c = std::make_unique<encoded_client>(port, w);
    EXPECT_TRUE(connect_as(*c, tenant).contains("ok"));
    return c;
  }
  static std::string code_of(const json& reply) {
    return reply.contains("error") ? reply["error"]["code"].get<std::string>() : "ok";
  }
  /// Publishes `n` events to `topic` in one frame (ids from `first_id`); the reply codes
  /// by count.
  static std::map<std::string, int> flood(encoded_client& c, const std::string& topic, int n,
                                          int64_t first_id = 100, const json& data = "x",
                                          int64_t* retry_after = nullptr) {
    std::vector<json> frame;
    for (int i = 0; i < n; ++i) {
      frame.push_back({{"op", "publish"}, {"topic", topic}, {"data", data}, {"id", first_id + i}});
    }
    c.send_frame(frame);
    std::map<std::string, int> codes;
    for (int i = 0; i < n; ++i) {
      auto r = c.reply(first_id + i);
      ++codes[code_of(r)];
      if (retry_after != nullptr && code_of(r) == "throttled") {
        *retry_after = r["error"]["retry_after_ms"].get<int64_t>();
      }
    }
    return codes;
  }
};

TEST_P(Tenants, ConnectReportsTheTenantsLimitsWithItsOverrides) {
  test_node node{with([](actors::tenant_policy& p) {
    p.defaults.publish_per_s = 500;
    p.defaults.max_subscriptions = 100;
    auto acme = p.defaults;
    acme.publish_per_s = 50;
    acme.max_connections = 7;
    p.overrides["acme"] = acme;
  })};
  encoded_client a{node.port(), GetParam()};
  auto ok = connect_as(a, "acme")["ok"]["limits"];
  EXPECT_EQ(ok["publish_per_s"], 50);
  EXPECT_EQ(ok["tenant"]["publish_per_s"], 50);
  EXPECT_EQ(ok["tenant"]["max_connections"], 7);
  EXPECT_EQ(ok["tenant"]["max_subscriptions"], 100);
  EXPECT_EQ(ok["tenant"]["publish_bytes_per_s"], 0);
  encoded_client g{node.port(), GetParam()};
  auto other = connect_as(g, "globex")["ok"]["limits"];
  EXPECT_EQ(other["publish_per_s"], 500);
  EXPECT_EQ(other["tenant"]["max_connections"], 0);
}

TEST_P(Tenants, PastMaxConnectionsConnectIsThrottledUntilOneCloses) {
  test_node node{with([](actors::tenant_policy& p) { p.defaults.max_connections = 2; })};
  auto first = connected(node.port(), GetParam(), "acme");
  auto second = connected(node.port(), GetParam(), "acme");
  encoded_client third{node.port(), GetParam()};
  auto refused = connect_as(third, "acme");
  ASSERT_EQ(code_of(refused), "throttled") << refused.dump();
  EXPECT_GT(refused["error"]["retry_after_ms"].get<int64_t>(), 0);
  EXPECT_EQ(code_of(third.request({{"op", "subscribe"}, {"topic", "t"}}, 2)), "not_connected");
  auto elsewhere = connected(node.port(), GetParam(), "globex"); // its own count

  first->socket().close();
  std::string code;
  for (int i = 0; i < 100 && code != "ok"; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    code = code_of(connect_as(third, "acme"));
  }
  EXPECT_EQ(code, "ok");
}

TEST_P(Tenants, PublishesPastTheRateAreThrottledAndPublishersSlowDown) {
  test_node node{with([](actors::tenant_policy& p) { p.defaults.publish_per_s = 20; })};
  auto acme = connected(node.port(), GetParam(), "acme");
  auto globex = connected(node.port(), GetParam(), "globex");
  int64_t retry_after = 0;
  auto codes = flood(*acme, "chat", 80, 100, "x", &retry_after);
  EXPECT_GE(codes["ok"], 20);
  EXPECT_LE(codes["ok"], 30); // a second's worth, and what refilled meanwhile
  EXPECT_EQ(codes["ok"] + codes["throttled"], 80);
  EXPECT_GT(retry_after, 0);
  EXPECT_LE(retry_after, 1000);
  auto hard = acme->next_push("slow_down");
  ASSERT_FALSE(hard.is_null());
  EXPECT_EQ(hard["level"], 2);
  EXPECT_GT(hard["retry_after_ms"].get<int64_t>(), 0);
  EXPECT_FALSE(hard["reason"].get<std::string>().empty());

  // Another tenant with the same limits has its own budget.
  EXPECT_GE(flood(*globex, "chat", 20, 100)["ok"], 20);

  // Past retry_after the tenant may publish again, and once it is quiet the level clears.
  std::this_thread::sleep_for(std::chrono::milliseconds(retry_after + 100));
  EXPECT_EQ(code_of(acme->request({{"op", "publish"}, {"topic", "chat"}, {"data", 1}}, 500)), "ok");
  auto clear = acme->next_push("slow_down", std::chrono::seconds(5));
  ASSERT_FALSE(clear.is_null());
  EXPECT_EQ(clear["level"], 0);
}

TEST_P(Tenants, AClientThatKeepsPublishingWhileThrottledIsHeldBackButAnsweredInOrder) {
  test_node node{with([](actors::tenant_policy& p) { p.defaults.publish_per_s = 5; })};
  auto flooder = connected(node.port(), GetParam(), "acme");
  auto polite = connected(node.port(), GetParam(), "acme");
  constexpr int frames = 40;
  for (int i = 0; i < frames; ++i) { // one publish a frame, as fast as the socket takes them
    flooder->send({{"op", "publish"}, {"topic", "chat"}, {"data", i}, {"id", 100 + i}});
  }
  // Its reading waits out each throttle, so its later frames are not even read yet, while
  // another connection of the tenant is answered at once.
  EXPECT_EQ(code_of(polite->request({{"op", "ping"}}, 7)), "ok");
  std::this_thread::sleep_for(std::chrono::milliseconds(150));
  int answered = 0;
  while (!flooder->next(std::chrono::milliseconds(1)).is_null()) {
    ++answered;
  }
  EXPECT_GE(answered, 5);
  EXPECT_LT(answered, frames);
  std::map<std::string, int> codes;
  for (int i = answered; i < frames; ++i) {
    auto r = flooder->next(std::chrono::seconds(10));
    ASSERT_FALSE(r.is_null()) << "only " << i << " of " << frames << " answered";
    ++codes[r.contains("push") ? "push" : code_of(r)];
  }
  EXPECT_GT(codes["throttled"], 0);
}

TEST_P(Tenants, BytesPastTheByteRateAreThrottled) {
  test_node node{with([](actors::tenant_policy& p) { p.defaults.publish_bytes_per_s = 2000; })};
  auto acme = connected(node.port(), GetParam(), "acme");
  auto codes = flood(*acme, "files", 20, 100, std::string(400, 'b'));
  EXPECT_GE(codes["ok"], 4);
  EXPECT_LE(codes["ok"], 8);
  EXPECT_EQ(codes["ok"] + codes["throttled"], 20);
}

TEST_P(Tenants, PastMaxSubscriptionsOverAllConnectionsSubscribeIsThrottled) {
  test_node node{with([](actors::tenant_policy& p) { p.defaults.max_subscriptions = 2; })};
  auto one = connected(node.port(), GetParam(), "acme");
  auto two = connected(node.port(), GetParam(), "acme");
  EXPECT_EQ(code_of(one->request({{"op", "subscribe"}, {"topic", "a"}}, 2)), "ok");
  EXPECT_EQ(code_of(two->request(
                {{"op", "subscribe"}, {"topic", "b"}, {"mode", "queue"}, {"group", "g"}}, 2)),
            "ok");
  auto refused = two->request({{"op", "subscribe"}, {"topic", "c"}}, 3);
  EXPECT_EQ(code_of(refused), "throttled") << refused.dump();
  auto globex = connected(node.port(), GetParam(), "globex");
  EXPECT_EQ(code_of(globex->request({{"op", "subscribe"}, {"topic", "a"}}, 2)), "ok");

  EXPECT_EQ(code_of(one->request({{"op", "unsubscribe"}, {"topic", "a"}}, 4)), "ok");
  std::string code;
  for (int64_t id = 10; id < 60 && code != "ok"; ++id) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    code = code_of(two->request({{"op", "subscribe"}, {"topic", "c"}}, id));
  }
  EXPECT_EQ(code, "ok");
}

TEST_P(Tenants, SustainedOverloadOpensTheBreakerUntilTheCooldownEnds) {
  test_node node{with([](actors::tenant_policy& p) {
    p.defaults.publish_per_s = 10;
    p.breaker.open_after_ms = 500;
    p.breaker.cooldown_ms = 1500;
  })};
  auto acme = connected(node.port(), GetParam(), "acme");
  auto globex = connected(node.port(), GetParam(), "globex");
  int64_t id = 100;
  json open;
  for (int round = 0; round < 100 && open.is_null(); ++round) {
    auto r = acme->request({{"op", "publish"}, {"topic", "chat"}, {"data", round}}, id++);
    if (code_of(r) == "circuit_open") {
      open = r;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ASSERT_FALSE(open.is_null()) << "the breaker never opened";
  EXPECT_GT(open["error"]["retry_after_ms"].get<int64_t>(), 0);
  EXPECT_LE(open["error"]["retry_after_ms"].get<int64_t>(), 1500);
  encoded_client late{node.port(), GetParam()};
  EXPECT_EQ(code_of(connect_as(late, "acme")), "circuit_open");
  EXPECT_EQ(code_of(globex->request({{"op", "publish"}, {"topic", "chat"}, {"data", 1}}, 2)), "ok");

  std::string code;
  for (int round = 0; round < 100 && code != "ok"; ++round) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    code = code_of(acme->request({{"op", "publish"}, {"topic", "chat"}, {"data", 0}}, id++));
  }
  EXPECT_EQ(code, "ok") << "still refused after the cool-down";
}

TEST_P(Tenants, AStalledConsumerOfOneTenantLeavesAnotherTenantsDeliveriesIntact) {
  test_node node{[](runtime::node_config& cfg) {
    with([](actors::tenant_policy&) {})(cfg);
    cfg.limits.outbound_queue = 16;
    cfg.limits.write_timeout_ms = 120000; // the stalled one must outlast the test
  }};
  auto stalled = connected(node.port(), GetParam(), "acme");
  auto acme_pub = connected(node.port(), GetParam(), "acme");
  auto reader = connected(node.port(), GetParam(), "globex");
  auto globex_pub = connected(node.port(), GetParam(), "globex");
  ASSERT_EQ(code_of(stalled->request({{"op", "subscribe"}, {"topic", "feed"}}, 2)), "ok");
  ASSERT_EQ(code_of(reader->request({{"op", "subscribe"}, {"topic", "feed"}}, 2)), "ok");

  // acme floods its own `feed` (64 KiB events, far more than a socket buffer holds)
  // while globex publishes 200 small events to its `feed` and reads them.
  const std::string blob(64 * 1024, 'a');
  for (int i = 0; i < 150; ++i) {
    acme_pub->send({{"op", "publish"}, {"topic", "feed"}, {"data", blob}});
  }
  constexpr int events = 200;
  for (int seq = 1; seq <= events; ++seq) { // paced by the reader: only acme's one lags
    globex_pub->send({{"op", "publish"}, {"topic", "feed"}, {"data", seq}});
    auto m = reader->next_push("event", std::chrono::seconds(10));
    ASSERT_FALSE(m.is_null()) << "globex's reader stopped at " << seq;
    ASSERT_EQ(m["seq"], seq);
    ASSERT_EQ(m["data"], seq); // never one of acme's
  }
  // acme's consumer fell behind on its own: a gap where its queue overflowed.
  EXPECT_FALSE(stalled->next_push("gap", std::chrono::seconds(10)).is_null());
}

TEST_P(Tenants, AReloadTakesNewLimitsWithinATick) {
  auto limits = [](int64_t rate) {
    return [rate](actors::tenant_policy& p) { p.defaults.publish_per_s = rate; };
  };
  test_node node{with(limits(0))};
  auto acme = connected(node.port(), GetParam(), "acme");
  EXPECT_EQ(flood(*acme, "chat", 50, 100)["ok"], 50);

  auto fresh = test_config(node.data_dir());
  with(limits(5))(fresh);
  node.get().reload(fresh);
  std::this_thread::sleep_for(std::chrono::milliseconds(600));
  auto codes = flood(*acme, "chat", 30, 200);
  EXPECT_LE(codes["ok"], 8);
  EXPECT_GE(codes["throttled"], 22);
  encoded_client late{node.port(), GetParam()};
  EXPECT_EQ(connect_as(late, "acme")["ok"]["limits"]["publish_per_s"], 5);
}

TEST_P(Tenants, PastMaxTopicsAndMaxGroupsANewOneIsThrottledUntilAnIdleOneStops) {
  test_node node{with([](actors::tenant_policy& p) {
    auto acme = p.defaults;
    acme.max_topics = 2;
    acme.max_groups = 1;
    p.overrides["acme"] = acme;
  })};
  auto acme = connected(node.port(), GetParam(), "acme");
  auto globex = connected(node.port(), GetParam(), "globex");
  int64_t id = 10;
  auto publish = [&](encoded_client& c, const std::string& topic) {
    return c.request({{"op", "publish"}, {"topic", topic}, {"data", 1}}, ++id);
  };
  // acme keeps `live` in use (subscribed) and publishes to `a`: two topics running.
  ASSERT_EQ(code_of(acme->request({{"op", "subscribe"}, {"topic", "live"}}, ++id)), "ok");
  ASSERT_EQ(code_of(publish(*acme, "a")), "ok");
  auto refused = publish(*acme, "b");
  ASSERT_EQ(code_of(refused), "throttled") << refused.dump();
  EXPECT_EQ(refused["error"]["retry_after_ms"], 1000);
  EXPECT_NE(refused["error"]["message"].get<std::string>().find("max_topics"), std::string::npos);
  // Other tenants are not touched.
  for (const auto* topic : {"a", "b", "c"}) {
    EXPECT_EQ(code_of(publish(*globex, topic)), "ok") << topic;
  }
  // The refusal asked acme's least recently used topics to stop: idle `a` did, the
  // subscribed `live` did not, and a retry finds room.
  std::string code;
  for (int i = 0; i < 50 && code != "ok"; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    code = code_of(publish(*acme, "b"));
  }
  EXPECT_EQ(code, "ok");
  // `live` and `b` run: a subscribe that would start a third is refused too.
  EXPECT_EQ(code_of(acme->request({{"op", "subscribe"}, {"topic", "c"}}, ++id)), "throttled");
  EXPECT_EQ(code_of(publish(*acme, "live")), "ok"); // still running: no new start

  // One queue group running at once: a second one is refused while the first has a member.
  auto worker = connected(node.port(), GetParam(), "acme");
  auto join = [&](const std::string& group) {
    return worker->request(
        {{"op", "subscribe"}, {"topic", "live"}, {"mode", "queue"}, {"group", group}}, ++id);
  };
  ASSERT_EQ(code_of(join("g1")), "ok");
  auto second = join("g2");
  EXPECT_EQ(code_of(second), "throttled") << second.dump();
  EXPECT_NE(second["error"]["message"].get<std::string>().find("max_groups"), std::string::npos);
}

TEST_P(Tenants, ATenantThatCrashesRestartsWithItsConnectionsAndSubscriptionsCountedAgain) {
  test_node node{with([](actors::tenant_policy& p) {
    auto acme = p.defaults;
    acme.publish_per_s = 1000;
    acme.max_connections = 2;
    acme.max_subscriptions = 1;
    p.overrides["acme"] = acme;
  })};
  auto a = connected(node.port(), GetParam(), "acme");
  auto b = connected(node.port(), GetParam(), "acme");
  ASSERT_EQ(code_of(a->request({{"op", "subscribe"}, {"topic", "x"}}, 2)), "ok");
  node.get().crash_tenant("acme");
  // The restarted tenant hears from its connections again: still two, one subscription.
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  encoded_client c{node.port(), GetParam()};
  EXPECT_EQ(code_of(connect_as(c, "acme")), "throttled");
  EXPECT_EQ(code_of(b->request({{"op", "subscribe"}, {"topic", "y"}}, 3)), "throttled");
  // And its connections publish on credit from the new one.
  EXPECT_EQ(flood(*a, "x", 20)["ok"], 20);
  EXPECT_FALSE(a->next_push("event").is_null());
}

INSTANTIATE_TEST_SUITE_P(BothEncodings, Tenants, ::testing::Values(wire::in_json, wire::in_msgpack),
                         [](const ::testing::TestParamInfo<wire>& p) {
                           return std::string{wire_name(p.param)};
                         });

} // namespace
} // namespace switchyard::testing
