// End-to-end: the real `switchyard` binary, killed and restarted.

#include "tests/support/process.hpp"
#include "tests/support/test_node.hpp"
#include "tests/support/ws_client.hpp"

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

std::vector<std::string> node_args(const temp_dir& dir, std::vector<std::string> extra = {}) {
  std::vector<std::string> args{"--port",      "0",   "--data-dir", (dir.path() / "data").string(),
                                "--log-level", "info"};
  args.insert(args.end(), extra.begin(), extra.end());
  return args;
}

/// Every event of a topic, read back with `history` pages.
std::map<uint64_t, json> read_all(ws_client& c, const std::string& topic) {
  std::map<uint64_t, json> events;
  uint64_t from = 1;
  for (int64_t id = 1000;; ++id) {
    auto r = json::parse(c.request(R"("op":"history","topic":")" + topic + R"(","from_seq":)" +
                                       std::to_string(from) + R"(,"limit":1000)",
                                   id));
    auto& page = r["ok"]["events"];
    if (page.empty()) {
      return events;
    }
    for (auto& ev : page) {
      events[ev["seq"].get<uint64_t>()] = ev["data"];
    }
    from = r["ok"]["next_seq"].get<uint64_t>();
  }
}

/// `count` publishes to topic `ledger` in one frame, ids (and data) from `next_id` on.
std::string publish_frame(int64_t& next_id, int count) {
  std::string frame;
  for (int i = 0; i < count; ++i, ++next_id) {
    frame += R"({"id":)" + std::to_string(next_id) + R"(,"op":"publish","topic":"ledger","data":)" +
             std::to_string(next_id) + "}\n";
  }
  return frame;
}

/// Publishes, kills the node with SIGKILL while publishes are in flight, restarts it
/// and checks that every acknowledged event is stored and the seq continues.
void expect_kill_nine_loses_no_acknowledged_event(const std::vector<std::string>& extra) {
  temp_dir dir;
  std::map<uint64_t, int64_t> acked; // seq -> the data it was published with
  {
    node_process proc{SWITCHYARD_BIN, node_args(dir, extra), dir.path() / "run1.log"};
    auto port = proc.wait_for_port();
    ASSERT_NE(port, 0) << proc.log();
    ws_client c{port};
    c.request(R"("op":"connect")", 1);
    int64_t next_id = 10;
    for (int round = 0; round < 20; ++round) {
      c.send_text(publish_frame(next_id, 50));
      for (int i = 0; i < 50; ++i) {
        auto m = c.next();
        ASSERT_TRUE(m.has_value());
        auto r = json::parse(*m);
        ASSERT_TRUE(r.contains("ok")) << r.dump();
        acked[r["ok"]["seq"].get<uint64_t>()] = r["id"].get<int64_t>();
      }
    }
    // Publishes in flight, then the process dies without any chance to flush.
    c.send_text(publish_frame(next_id, 200));
    for (int i = 0; i < 20; ++i) {
      if (auto m = c.next(); m && json::parse(*m).contains("ok")) {
        auto r = json::parse(*m);
        acked[r["ok"]["seq"].get<uint64_t>()] = r["id"].get<int64_t>();
      }
    }
    proc.signal(SIGKILL);
    EXPECT_EQ(proc.wait(), -SIGKILL);
  }
  ASSERT_GE(acked.size(), 1000u);
  node_process proc{SWITCHYARD_BIN, node_args(dir, extra), dir.path() / "run2.log"};
  auto port = proc.wait_for_port();
  ASSERT_NE(port, 0) << proc.log();
  ws_client c{port};
  c.request(R"("op":"connect")", 1);
  auto stored = read_all(c, "ledger");
  for (const auto& [seq, data] : acked) {
    ASSERT_TRUE(stored.count(seq)) << "acknowledged seq " << seq << " lost";
    EXPECT_EQ(stored[seq], data);
  }
  // Stored seqs are gap-free and new publishes continue after the last one.
  uint64_t last = stored.rbegin()->first;
  EXPECT_EQ(stored.size(), last);
  auto r = json::parse(c.request(R"("op":"publish","topic":"ledger","data":"after")", 5));
  EXPECT_EQ(r["ok"]["seq"], last + 1);
}

TEST(Binary, KillNineMidPublishLosesNoAcknowledgedEvent) {
  expect_kill_nine_loses_no_acknowledged_event({});
}

TEST(Binary, KillNineLosesNothingWithDataOnlySync) {
  expect_kill_nine_loses_no_acknowledged_event({"--store-sync", "data"});
}

TEST(Binary, KillNineLosesNothingWithAsyncSync) {
  // Unsynced commits are in the page cache, which a process crash does not touch.
  expect_kill_nine_loses_no_acknowledged_event({"--store-sync", "async", "--store-flush-ms", "50"});
}

TEST(Binary, AStoreThatCanNoLongerBeWrittenStopsTheNodeWithExitOneLosingNothingAcknowledged) {
  temp_dir dir;
  const auto trigger = dir.path() / "disk-fails";
  std::vector<std::string> env{"LD_PRELOAD=" + std::string(SWITCHYARD_FAULT_LIB),
                               "SWITCHYARD_FAULT_TRIGGER=" + trigger.string(),
                               // The fault library is preloaded ahead of ASan's runtime.
                               "ASAN_OPTIONS=verify_asan_link_order=0:detect_leaks=1"};
  uint64_t acked = 0;
  {
    node_process proc{SWITCHYARD_BIN, node_args(dir), dir.path() / "run1.log", env};
    auto port = proc.wait_for_port();
    ASSERT_NE(port, 0) << proc.log();
    ws_client c{port};
    c.request(R"("op":"connect")", 1);
    for (int i = 0; i < 10; ++i) {
      auto r = json::parse(c.request(R"("op":"publish","topic":"t","data":1)", 10 + i));
      ASSERT_TRUE(r.contains("ok")) << r.dump();
      ++acked;
    }
    std::ofstream{trigger} << "fail";
    // The first failed commit is refused; LMDB then refuses every transaction
    // (MDB_PANIC) and the node stops cleanly instead of crash-looping topics.
    auto r = json::parse(c.request(R"("op":"publish","topic":"t","data":2)", 100));
    EXPECT_EQ(r["error"]["code"], "unavailable") << r.dump();
    c.request(R"("op":"publish","topic":"t","data":3)", 101);
    EXPECT_EQ(proc.wait(), 1) << proc.log();
    EXPECT_NE(proc.log().find("store.fatal"), std::string::npos) << proc.log();
    EXPECT_NE(proc.log().find("node.stopped"), std::string::npos) << proc.log();
  }
  std::filesystem::remove(trigger);
  node_process proc{SWITCHYARD_BIN, node_args(dir), dir.path() / "run2.log"};
  auto port = proc.wait_for_port();
  ASSERT_NE(port, 0) << proc.log();
  ws_client c{port};
  c.request(R"("op":"connect")", 1);
  EXPECT_EQ(read_all(c, "t").size(), acked);
}

TEST(Binary, SigtermDrainsAnswersEveryPublishInFlightClosesWith1001AndExitsZero) {
  temp_dir dir;
  std::map<uint64_t, int64_t> acked; // seq -> the data it was published with
  {
    node_process proc{SWITCHYARD_BIN, node_args(dir, {"--drain-spread-ms", "300"}),
                      dir.path() / "run1.log"};
    auto port = proc.wait_for_port();
    ASSERT_NE(port, 0) << proc.log();
    ws_client sub{port};
    sub.request(R"("op":"connect")", 1);
    sub.request(R"("op":"subscribe","topic":"ledger")", 2);
    ws_client pub{port};
    pub.request(R"("op":"connect")", 1);
    int64_t next_id = 10;
    pub.send_text(publish_frame(next_id, 500));
    proc.signal(SIGTERM);
    // Every publish is answered before the close: stored, or refused once the node
    // began to drain.
    int answered = 0;
    bool told = false;
    while (answered < 500) {
      auto m = pub.next();
      ASSERT_TRUE(m.has_value()) << answered << " of 500 answered\n" << proc.log();
      auto r = json::parse(*m);
      if (r.contains("push")) {
        told = told || r["push"] == "drain";
        continue;
      }
      ++answered;
      if (r.contains("ok")) {
        acked[r["ok"]["seq"].get<uint64_t>()] = r["id"].get<int64_t>();
      } else {
        EXPECT_EQ(r["error"]["code"], "unavailable") << r.dump();
      }
    }
    EXPECT_TRUE(told || pub.next_containing(R"("drain")").has_value());
    EXPECT_TRUE(sub.next_containing(R"("push":"drain")").has_value());
    EXPECT_EQ(pub.wait_closed(), 1001);
    EXPECT_EQ(sub.wait_closed(), 1001);
    EXPECT_EQ(proc.wait(), 0) << proc.log();
    EXPECT_NE(proc.log().find("drain.finished connections_left=0"), std::string::npos)
        << proc.log();
  }
  // What was acknowledged is stored, and nothing else.
  node_process proc{SWITCHYARD_BIN, node_args(dir), dir.path() / "run2.log"};
  auto port = proc.wait_for_port();
  ASSERT_NE(port, 0) << proc.log();
  ws_client c{port};
  c.request(R"("op":"connect")", 1);
  auto stored = read_all(c, "ledger");
  EXPECT_EQ(stored.size(), acked.size());
  for (const auto& [seq, data] : acked) {
    ASSERT_EQ(stored.count(seq), 1u) << "acknowledged seq " << seq << " is missing";
    EXPECT_EQ(stored[seq], data);
  }
}

TEST(Binary, ASecondSignalCutsADrainShort) {
  temp_dir dir;
  node_process proc{SWITCHYARD_BIN,
                    node_args(dir, {"--drain-spread-ms", "600000", "--drain-timeout-ms", "600000"}),
                    dir.path() / "node.log"};
  auto port = proc.wait_for_port();
  ASSERT_NE(port, 0) << proc.log();
  ws_client c{port};
  c.request(R"("op":"connect")", 1);
  proc.signal(SIGTERM);
  ASSERT_TRUE(c.next_containing(R"("push":"drain")").has_value()) << proc.log();
  EXPECT_EQ(json::parse(c.request(R"("op":"publish","topic":"t","data":1)", 2))["error"]["code"],
            "unavailable");
  proc.signal(SIGINT);
  EXPECT_EQ(c.wait_closed(), 1001);
  EXPECT_EQ(proc.wait(), 0) << proc.log();
  EXPECT_NE(proc.log().find("draining=cut_short"), std::string::npos) << proc.log();
}

TEST(Binary, HelpListsEveryOptionWithItsDefault) {
  auto [status, out] = run_binary(SWITCHYARD_BIN, {"--help"});
  EXPECT_EQ(status, 0);
  for (const char* flag : {"--port", "--bind", "--data-dir", "--config", "--dump-config",
                           "--limits-max-frame-bytes", "--log-level"}) {
    EXPECT_NE(out.find(flag), std::string::npos) << flag;
  }
  EXPECT_NE(out.find("default 7400"), std::string::npos);
}

TEST(Binary, BadOptionOrValueStopsStartupWithOneLineNamingIt) {
  auto [status, out] = run_binary(SWITCHYARD_BIN, {"--port", "seventy"});
  EXPECT_EQ(status, 2);
  EXPECT_NE(out.find("--port"), std::string::npos) << out;
  EXPECT_EQ(std::count(out.begin(), out.end(), '\n'), 1) << out;
  std::tie(status, out) = run_binary(SWITCHYARD_BIN, {"--no-such-option"});
  EXPECT_EQ(status, 2);
  EXPECT_NE(out.find("no-such-option"), std::string::npos) << out;
  std::tie(status, out) = run_binary(SWITCHYARD_BIN, {"--bind", "0.0.0.0"});
  EXPECT_EQ(status, 2);
  EXPECT_NE(out.find("loopback"), std::string::npos) << out;
  std::tie(status, out) = run_binary(SWITCHYARD_BIN, {}, {"SWITCHYARD_LIMITS_BAD_FRAMES=many"});
  EXPECT_EQ(status, 2);
  EXPECT_NE(out.find("SWITCHYARD_LIMITS_BAD_FRAMES"), std::string::npos) << out;
}

TEST(Binary, DumpConfigShowsPrecedenceFileThenEnvThenCli) {
  temp_dir dir;
  auto file = dir.path() / "switchyard.json";
  std::ofstream(file) << R"({"port": 1111, "node_name": "from-file", "limits": {"bad_frames": 3}})";
  auto [status, out] = run_binary(
      SWITCHYARD_BIN, {"--config", file.string(), "--dump-config", "--limits-bad-frames", "9"},
      {"SWITCHYARD_PORT=2222", "SWITCHYARD_LIMITS_BAD_FRAMES=5"});
  ASSERT_EQ(status, 0) << out;
  auto cfg = json::parse(out);
  EXPECT_EQ(cfg["port"], 2222);              // env beats file
  EXPECT_EQ(cfg["node_name"], "from-file");  // file beats default
  EXPECT_EQ(cfg["limits"]["bad_frames"], 9); // CLI beats env
  EXPECT_EQ(cfg["bind"], "127.0.0.1");
  std::ofstream(file) << R"({"limits": {"no_such_key": 1}})";
  std::tie(status, out) = run_binary(SWITCHYARD_BIN, {"--config", file.string()});
  EXPECT_EQ(status, 2);
  EXPECT_NE(out.find("limits.no_such_key"), std::string::npos) << out;
}

} // namespace
} // namespace switchyard::testing

namespace switchyard::testing {
namespace {

/// The load generator against the real binary: the instrument itself must work.
nlohmann::json run_bench(uint16_t port, std::vector<std::string> args) {
  args.insert(args.begin(), {"--port", std::to_string(port), "--duration", "1"});
  auto [status, out] = run_binary(SWITCHYARD_BENCH_BIN, args);
  EXPECT_EQ(status, 0) << out;
  // Progress lines share the output; the report is the line that is a JSON object.
  std::string report;
  std::istringstream lines{out};
  for (std::string line; std::getline(lines, line);) {
    if (!line.empty() && line.front() == '{') {
      report = line;
    }
  }
  return nlohmann::json::parse(report, nullptr, false);
}

TEST(Bench, ScenariosRunAgainstTheBinaryWithNothingLost) {
  temp_dir dir;
  node_process proc{SWITCHYARD_BIN, node_args(dir), dir.path() / "node.log"};
  auto port = proc.wait_for_port();
  ASSERT_NE(port, 0) << proc.log();
  auto fanout = run_bench(port, {"--scenario", "fanout", "--subs", "10", "--rate", "200"});
  ASSERT_FALSE(fanout.is_discarded());
  // The whole report and the node's log: a loss here has to be explained (gap pushes,
  // a topic restart, a drain that timed out).
  const auto why = fanout.dump() + "\n" + proc.log();
  EXPECT_GT(fanout["deliveries"].get<int64_t>(), 0);
  EXPECT_EQ(fanout["deliveries"], fanout["expected_deliveries"]) << why;
  EXPECT_EQ(fanout["lost"], 0) << why;
  EXPECT_EQ(fanout["dups"], 0);
  EXPECT_EQ(fanout["out_of_order"], 0);
  auto publish = run_bench(port, {"--scenario", "publish", "--pubs", "2", "--idem"});
  ASSERT_FALSE(publish.is_discarded());
  EXPECT_GT(publish["acked"].get<int64_t>(), 0);
  EXPECT_EQ(publish["seq_violations"], 0); // unique tokens: none was taken for a repeat
  EXPECT_EQ(publish["errors"], 0);
  auto nack = run_bench(port, {"--scenario", "nack", "--msgs", "20"});
  ASSERT_FALSE(nack.is_discarded());
  EXPECT_EQ(nack["rounds"], 20) << nack.dump();
  EXPECT_EQ(nack["errors"], 0);
}

} // namespace
} // namespace switchyard::testing

namespace switchyard::testing {
namespace {

/// The publish_per_s a new connection's `connect` reports.
int64_t reported_rate(uint16_t port) {
  ws_client c{port};
  auto reply = json::parse(c.request(R"("op":"connect")", 1));
  return reply["ok"]["limits"]["publish_per_s"].get<int64_t>();
}

TEST(Binary, SighupReloadsTenantLimitsAndABadFileKeepsThoseInForce) {
  temp_dir dir;
  auto file = dir.path() / "switchyard.json";
  std::ofstream(file) << R"({"tenants": {"defaults": {"publish_per_s": 100}}})";
  auto args = node_args(dir, {"--config", file.string()});
  node_process proc{SWITCHYARD_BIN, args, dir.path() / "node.log"};
  auto port = proc.wait_for_port();
  ASSERT_NE(port, 0) << proc.log();
  EXPECT_EQ(reported_rate(port), 100);

  std::ofstream(file) << R"({"tenants": {"overrides": {"default": {"publish_per_s": 7}}}})";
  proc.signal(SIGHUP);
  int64_t rate = 0;
  for (int i = 0; i < 100 && rate != 7; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    rate = reported_rate(port);
  }
  EXPECT_EQ(rate, 7) << proc.log();
  EXPECT_NE(proc.log().find("config.reloaded"), std::string::npos) << proc.log();

  std::ofstream(file) << R"({"tenants": {"defaults": {"publish_per_s": "many"}}})";
  proc.signal(SIGHUP);
  for (int i = 0; i < 100 && proc.log().find("config.reload_failed") == std::string::npos; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_NE(proc.log().find("config.reload_failed"), std::string::npos) << proc.log();
  EXPECT_EQ(reported_rate(port), 7);
  proc.signal(SIGTERM);
  EXPECT_EQ(proc.wait(), 0) << proc.log();
}

TEST(Binary, ABadFrameIsLoggedOnOneLineWhateverItHolds) {
  temp_dir dir;
  node_process proc{SWITCHYARD_BIN, node_args(dir), dir.path() / "node.log"};
  auto port = proc.wait_for_port();
  ASSERT_NE(port, 0) << proc.log();
  ws_client c{port};
  // A frame that does not decode, holding a newline and what would read as a log event.
  c.send_text("not json\nforged.event conn=1 remote=x");
  ASSERT_TRUE(c.next().has_value());
  std::string log;
  for (int i = 0; i < 250 && log.find("conn.bad_frame") == std::string::npos; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    log = proc.log();
  }
  EXPECT_NE(log.find(R"(snippet="not json\x0aforged.event conn=1 remote=x")"), std::string::npos)
      << log;
  EXPECT_EQ(log.find("\nforged.event"), std::string::npos) << log;
}

} // namespace
} // namespace switchyard::testing
