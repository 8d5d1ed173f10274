// End-to-end: switchyard-ctl against the real node binary.

#include "tests/support/encoded_client.hpp"
#include "tests/support/process.hpp"
#include "tests/support/test_node.hpp"
#include "tests/support/token_signer.hpp"

#include <chrono>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <thread>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace switchyard::testing {
namespace {

using json = nlohmann::json;

/// A node on an ephemeral port with its data in a temp dir, and the CLI pointed at it.
class Ctl : public ::testing::Test {
protected:
  void start(std::vector<std::string> extra = {}, std::vector<std::string> env = {}) {
    std::vector<std::string> args{"--port",      "0",   "--data-dir", data_dir().string(),
                                  "--log-level", "info"};
    args.insert(args.end(), extra.begin(), extra.end());
    node_ = std::make_unique<node_process>(SWITCHYARD_BIN, args, dir_.path() / "node.log", env);
    port_ = node_->wait_for_port();
    ASSERT_NE(port_, 0) << node_->log();
  }
  void stop() {
    node_->signal(SIGTERM);
    ASSERT_EQ(node_->wait(), 0) << node_->log();
  }
  std::filesystem::path data_dir() const { return dir_.path() / "data"; }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }

  /// Runs switchyard-ctl --url <node> ARGS...; returns (exit status, stdout + stderr).
  std::pair<int, std::string> ctl(std::vector<std::string> args) const {
    args.insert(args.begin(), {"--url", url()});
    return run_binary(SWITCHYARD_CTL_BIN, args);
  }
  /// Runs it with --json and parses each output line.
  std::vector<json> ctl_json(std::vector<std::string> args) const {
    args.insert(args.begin(), "--json");
    auto [status, out] = ctl(args);
    EXPECT_EQ(status, 0) << out;
    std::vector<json> lines;
    std::istringstream in(out);
    for (std::string line; std::getline(in, line);) {
      lines.push_back(json::parse(line));
    }
    return lines;
  }

  temp_dir dir_;
  std::unique_ptr<node_process> node_;
  uint16_t port_ = 0;
};

TEST_F(Ctl, PublishesReadsHistoryAndTailsLiveEvents) {
  start();
  for (int i = 1; i <= 3; ++i) {
    auto [status, out] = ctl({"publish", "chat/lobby", R"({"n":)" + std::to_string(i) + "}"});
    ASSERT_EQ(status, 0) << out;
    EXPECT_EQ(out, "seq " + std::to_string(i) + "\n");
  }
  auto [dup_status, dup] = ctl({"publish", "chat/lobby", "1", "--idem", "once"});
  ASSERT_EQ(dup_status, 0) << dup;
  auto again = ctl_json({"publish", "chat/lobby", "1", "--idem", "once"});
  ASSERT_EQ(again.size(), 1u);
  EXPECT_EQ(again[0], (json{{"seq", 4}, {"dup", true}}));

  auto events = ctl_json({"history", "chat/lobby", "--from", "2", "--limit", "2"});
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0]["seq"], 2);
  EXPECT_EQ(events[0]["data"], (json{{"n", 2}}));
  EXPECT_EQ(events[1]["seq"], 3);

  // A tail that replays from seq 3, then sees a live event published after it started.
  node_process tail{SWITCHYARD_CTL_BIN,
                    {"--url", url(), "tail", "chat/lobby", "--from", "3", "--count", "3"},
                    dir_.path() / "tail.out"};
  for (int i = 0; i < 500 && tail.log().find("tailing chat/lobby") == std::string::npos; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ASSERT_NE(tail.log().find("tailing chat/lobby: last seq 4, 2 stored events first"),
            std::string::npos)
      << tail.log();
  ASSERT_EQ(ctl({"publish", "chat/lobby", R"("live")"}).first, 0);
  ASSERT_EQ(tail.wait(), 0) << tail.log();
  const auto out = tail.log();
  const auto third = out.find(R"(seq 3  )");
  const auto fourth = out.find(R"(seq 4  )");
  const auto live = out.find(R"(seq 5  )");
  ASSERT_NE(live, std::string::npos) << out;
  EXPECT_LT(third, fourth);
  EXPECT_LT(fourth, live);
  EXPECT_NE(out.find(R"("live")", live), std::string::npos) << out;
}

TEST_F(Ctl, ReplayCopiesARangeInOrderUnchangedAndOnlyOnce) {
  start();
  // Binary data (MessagePack bin) must arrive as binary, not as its base64 text.
  encoded_client mp{port_, wire::in_msgpack};
  mp.connect();
  for (int i = 1; i <= 40; ++i) {
    json data = i == 7 ? json::binary({0x00, 0xff, 0x10}) : json{{"i", i}};
    json publish{{"op", "publish"}, {"topic", "src"}, {"data", data}};
    if (i % 2 == 0) {
      publish["key"] = "even";
    }
    ASSERT_TRUE(mp.request(publish, 100 + i).contains("ok"));
  }
  auto summary = ctl_json({"replay", "src", "5..30", "--to", "copy"});
  ASSERT_EQ(summary.size(), 1u);
  EXPECT_EQ(summary[0]["published"], 26);
  EXPECT_EQ(summary[0]["duplicates"], 0);

  auto page =
      mp.request({{"op", "history"}, {"topic", "copy"}, {"from_seq", 1}, {"limit", 100}}, 500);
  const auto& copied = page["ok"]["events"];
  ASSERT_EQ(copied.size(), 26u) << page.dump();
  for (std::size_t k = 0; k < copied.size(); ++k) {
    const int source = static_cast<int>(k) + 5;
    EXPECT_EQ(copied[k]["seq"], k + 1);
    if (source == 7) {
      EXPECT_EQ(copied[k]["data"], json::binary({0x00, 0xff, 0x10})) << copied[k].dump();
    } else {
      EXPECT_EQ(copied[k]["data"], (json{{"i", source}})) << copied[k].dump();
    }
    EXPECT_EQ(copied[k].contains("key"), source % 2 == 0);
  }

  // The same replay again copies nothing twice; an open range runs to the newest seq.
  auto rerun = ctl_json({"replay", "src", "5..30", "--to", "copy"});
  EXPECT_EQ(rerun[0]["published"], 0);
  EXPECT_EQ(rerun[0]["duplicates"], 26);
  auto [status, out] = ctl({"--progress", "replay", "src", "31..", "--to", "copy"});
  ASSERT_EQ(status, 0) << out;
  EXPECT_NE(out.find("100% 10/10"), std::string::npos) << out;
  EXPECT_NE(out.find("replayed src 31..40 into copy: 10 published"), std::string::npos) << out;
}

TEST_F(Ctl, StatsShowsTheNodeAndItsTenants) {
  start();
  ASSERT_EQ(ctl({"publish", "t", "1"}).first, 0);
  auto stats = ctl_json({"stats"});
  ASSERT_EQ(stats.size(), 1u);
  EXPECT_FALSE(stats[0]["status"]["node"].get<std::string>().empty());
  EXPECT_EQ(stats[0]["status"]["draining"], false);
  ASSERT_TRUE(stats[0]["tenants"].is_array());
  auto [status, out] = ctl({"stats"});
  ASSERT_EQ(status, 0) << out;
  EXPECT_NE(out.find("store writable"), std::string::npos) << out;
  EXPECT_NE(out.find("TENANT"), std::string::npos) << out;
}

TEST_F(Ctl, PurgeNeedsYesAndDeletesWhatATopicOrTenantStores) {
  start();
  ASSERT_EQ(ctl({"publish", "p", "1"}).first, 0);
  ASSERT_EQ(ctl({"publish", "p", "2"}).first, 0);
  auto [unconfirmed, u_out] = ctl({"purge", "p"});
  EXPECT_EQ(unconfirmed, 2);
  EXPECT_NE(u_out.find("--yes"), std::string::npos) << u_out;
  EXPECT_EQ(ctl({"purge", "p", "--whole-tenant", "--yes"}).first, 2);
  auto purged = ctl_json({"purge", "p", "--yes"});
  ASSERT_EQ(purged.size(), 1u);
  EXPECT_EQ(purged[0]["purged_events"], 2);
  EXPECT_EQ(purged[0]["last_seq"], 2);
  auto next = ctl_json({"publish", "p", "3"});
  ASSERT_EQ(next.size(), 1u);
  EXPECT_EQ(next[0]["seq"], 3);
  auto [missing, m_out] = ctl({"purge", "nothing", "--yes"});
  EXPECT_EQ(missing, 1);
  EXPECT_NE(m_out.find("not_found"), std::string::npos) << m_out;
  auto [status, out] = ctl({"purge", "--whole-tenant", "--yes"});
  ASSERT_EQ(status, 0) << out;
  EXPECT_NE(out.find("purged tenant default: 1 topics, 1 events"), std::string::npos) << out;
}

TEST_F(Ctl, ErrorsNameTheirCauseAndExitNonZero) {
  start();
  auto [forbidden, f_out] = ctl({"publish", "dead/x", "1"});
  EXPECT_EQ(forbidden, 1);
  EXPECT_NE(f_out.find("switchyard-ctl: forbidden"), std::string::npos) << f_out;
  auto [bad_data, d_out] = ctl({"publish", "t", "not json"});
  EXPECT_EQ(bad_data, 2);
  EXPECT_NE(d_out.find("data must be a JSON value"), std::string::npos) << d_out;
  auto [bad_range, r_out] = ctl({"replay", "t", "9..3", "--to", "u"});
  EXPECT_EQ(bad_range, 2);
  EXPECT_NE(r_out.find("expected FROM..TO"), std::string::npos) << r_out;
  auto [tls, t_out] = run_binary(SWITCHYARD_CTL_BIN, {"--url", "https://127.0.0.1:1", "stats"});
  EXPECT_EQ(tls, 2);
  EXPECT_NE(t_out.find("TLS is not supported"), std::string::npos) << t_out;
  auto [usage, u_out] = run_binary(SWITCHYARD_CTL_BIN, {"frobnicate"});
  EXPECT_EQ(usage, 2) << u_out;
  stop();
  auto [down, n_out] = ctl({"stats"});
  EXPECT_EQ(down, 1);
  EXPECT_NE(n_out.find("switchyard-ctl: connect:"), std::string::npos) << n_out;
}

TEST_F(Ctl, SendsItsTokenAndAdminCallsNeedTheAdminClaim) {
  const std::string secret(40, 's');
  start({"--auth-mode", "jwt"}, {"SWITCHYARD_AUTH_JWT_SECRET=" + secret});
  const auto user =
      hs256_token({{"sub", "ann"}, {"tenant", "acme"}, {"exp", epoch_seconds(600)}}, secret);
  const auto admin = hs256_token(
      {{"sub", "ops"}, {"tenant", "acme"}, {"admin", true}, {"exp", epoch_seconds(600)}}, secret);
  EXPECT_EQ(ctl({"publish", "t", "1"}).first, 1);
  auto [published, p_out] = ctl({"--token", user, "publish", "t", "1"});
  EXPECT_EQ(published, 0) << p_out;
  auto [refused, s_out] = ctl({"--token", user, "stats"});
  EXPECT_EQ(refused, 1);
  EXPECT_NE(s_out.find("forbidden"), std::string::npos) << s_out;
  auto [allowed, a_out] =
      run_binary(SWITCHYARD_CTL_BIN, {"--url", url(), "stats"}, {"SWITCHYARD_TOKEN=" + admin});
  EXPECT_EQ(allowed, 0) << a_out;
  EXPECT_NE(a_out.find("acme"), std::string::npos) << a_out;
}

std::string file_bytes(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

TEST_F(Ctl, InspectReadsAStoppedNodesStoreWithoutWritingIt) {
  start();
  for (int i = 0; i < 5; ++i) {
    ASSERT_EQ(ctl({"publish", "orders", R"({"n":1})"}).first, 0);
  }
  ASSERT_EQ(ctl({"publish", "chat/x", "2"}).first, 0);
  {
    encoded_client worker{port_, wire::in_json};
    worker.connect();
    ASSERT_TRUE(worker
                    .request({{"op", "subscribe"},
                              {"topic", "orders"},
                              {"mode", "queue"},
                              {"group", "billing"},
                              {"from", {{"seq", 1}}}},
                             2)
                    .contains("ok"));
    auto first = worker.next_push("event");
    ASSERT_TRUE(
        worker
            .request(
                {{"op", "ack"}, {"topic", "orders"}, {"group", "billing"}, {"seq", first["seq"]}},
                3)
            .contains("ok"));
  }
  stop();

  const auto before = file_bytes(data_dir() / "data.mdb");
  auto topics = ctl_json({"inspect", data_dir().string()});
  EXPECT_EQ(file_bytes(data_dir() / "data.mdb"), before) << "inspect wrote to the store";
  ASSERT_EQ(topics.size(), 2u);
  std::map<std::string, json> by_name;
  for (auto& t : topics) {
    by_name[t["topic"].get<std::string>()] = t;
  }
  EXPECT_EQ(by_name["orders"]["tenant"], "default");
  EXPECT_EQ(by_name["orders"]["first_seq"], 1);
  EXPECT_EQ(by_name["orders"]["last_seq"], 5);
  EXPECT_GT(by_name["orders"]["bytes"].get<uint64_t>(), 0u);
  ASSERT_EQ(by_name["orders"]["groups"].size(), 1u);
  EXPECT_EQ(by_name["orders"]["groups"][0]["group"], "billing");
  EXPECT_EQ(by_name["orders"]["groups"][0]["floor"], 1);
  EXPECT_EQ(by_name["chat/x"]["last_seq"], 1);

  auto [status, out] = run_binary(SWITCHYARD_CTL_BIN, {"inspect", data_dir().string()});
  ASSERT_EQ(status, 0) << out;
  EXPECT_NE(out.find("2 topics"), std::string::npos) << out;
  EXPECT_NE(out.find("billing (floor 1"), std::string::npos) << out;

  const auto missing = dir_.path() / "nowhere";
  auto [no_store, m_out] = run_binary(SWITCHYARD_CTL_BIN, {"inspect", missing.string()});
  EXPECT_EQ(no_store, 1);
  EXPECT_NE(m_out.find("no store in"), std::string::npos) << m_out;
  EXPECT_FALSE(std::filesystem::exists(missing)) << "inspect created a directory";
}

} // namespace
} // namespace switchyard::testing
