// The store's faults as clients and operators see them: a full store refuses publishes
// (nothing acknowledged is lost), /readyz says so, and the map grows online first.

#include "tests/support/protocol_helpers.hpp"
#include "tests/support/test_node.hpp"

#include <gtest/gtest.h>

namespace switchyard::testing {
namespace {

const std::string blob(4000, 'b');

std::string publish_blob(int64_t id) {
  return R"("op":"publish","topic":"full","data":")" + blob + "\"," + R"("key":"k)" +
         std::to_string(id) + "\"";
}

TEST(StoreFaults, AFullStoreRefusesPublishesAndResumesWithARaisedCeilingLosingNothing) {
  temp_dir dir;
  auto cfg = test_config(dir.path());
  cfg.store.map_size_mb = 1;
  uint64_t acked = 0;
  {
    runtime::node n{cfg};
    std::string error;
    ASSERT_TRUE(n.start(error)) << error;
    ws_client c{n.port()};
    connect(c);
    EXPECT_EQ(http_get(n.port(), "/readyz").first, 200);
    json refused;
    for (int64_t id = 10; id < 1000; ++id) {
      auto r = json::parse(c.request(publish_blob(id), id));
      if (r.contains("error")) {
        refused = r;
        break;
      }
      ASSERT_EQ(r["ok"]["seq"], acked + 1);
      ++acked;
    }
    ASSERT_GT(acked, 0u);
    ASSERT_TRUE(refused.contains("error")) << "the 1 MiB store never filled";
    EXPECT_EQ(refused["error"]["code"], "unavailable") << refused.dump();
    EXPECT_TRUE(refused["error"].contains("retry_after_ms"));
    EXPECT_FALSE(n.store_writable());
    EXPECT_EQ(http_get(n.port(), "/readyz").first, 503);
    // A publish sent without id still hears why it was not stored.
    // (appended, not "{" + ... : GCC 12 reports a false -Wrestrict for that here)
    c.send_text(std::string{"{"}.append(publish_blob(0)).append("}"));
    auto unnamed = parse(c.next());
    EXPECT_FALSE(unnamed.contains("id")) << unnamed.dump();
    EXPECT_EQ(unnamed["error"]["code"], "unavailable");
    // Reads still work.
    EXPECT_EQ(last_seq(c, "full"), acked);
    n.stop();
  }
  cfg.store.map_size_mb = 16;
  runtime::node n{cfg};
  std::string error;
  ASSERT_TRUE(n.start(error)) << error;
  ws_client c{n.port()};
  connect(c);
  EXPECT_EQ(http_get(n.port(), "/readyz").first, 200);
  const auto stored = stored_seqs(c, "full");
  ASSERT_EQ(stored.size(), acked);
  EXPECT_EQ(stored.back(), acked);
  auto r = json::parse(c.request(publish_blob(5000), 5000));
  EXPECT_EQ(r["ok"]["seq"], acked + 1) << r.dump();
}

TEST(StoreFaults, TheMapGrowsOnlineAndNoPublishIsRefused) {
  test_node node{[](runtime::node_config& cfg) {
    cfg.store.initial_map_mb = 1;
    cfg.store.map_size_mb = 64;
  }};
  ws_client c{node.port()};
  connect(c);
  for (int64_t id = 10; id < 1010; ++id) {
    auto r = json::parse(c.request(publish_blob(id), id));
    ASSERT_TRUE(r.contains("ok")) << r.dump();
  }
  const auto stats = node.get().store_counters();
  EXPECT_GE(stats.map_grown, 2u);
  EXPECT_GE(stats.map_bytes, 4u << 20);
  EXPECT_TRUE(node.get().store_writable());
}

} // namespace
} // namespace switchyard::testing
