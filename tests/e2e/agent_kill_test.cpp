// End-to-end: the research sample's node (the real binary) killed with SIGKILL twice in
// the middle of a workflow, first while the researchers' LLM calls are out, then while
// the writer's tokens stream. After each restart the workflow goes on (the sessions are
// rebuilt from their inboxes, the unacked jobs come again), and at the end every output
// event of the conversation is on its out topic exactly once, with the one complete
// token stream of the last attempt after the cut-off one.

#include "tests/support/encoded_client.hpp"
#include "tests/support/process.hpp"
#include "tests/support/test_node.hpp"

#include <csignal>
#include <map>
#include <thread>

#include <gtest/gtest.h>

namespace switchyard::testing {
namespace {

const std::string conv_inbox = "agents/research/conv-k";
const std::string conv_out = "agents/research/conv-k/out";

std::vector<std::string> research_args(const temp_dir& dir) {
  return {"--port", "0", "--data-dir", (dir.path() / "data").string(), "--log-level", "info"};
}

/// Plays the LLM worker group over WebSocket, like samples/research/worker.js.
struct llm_worker {
  encoded_client c;
  int64_t id = 2000;
  inline static int runs = 0; ///< streams started by any worker of the test

  explicit llm_worker(uint16_t port) : c(port, wire::in_json) {
    c.connect();
    auto r = c.request({{"op", "subscribe"},
                        {"topic", "jobs/llm"},
                        {"mode", "queue"},
                        {"group", "llm"},
                        {"max_inflight", 16}},
                       ++id);
    EXPECT_TRUE(r.contains("ok")) << r.dump();
  }

  /// The next job's event, or null.
  json take(std::chrono::milliseconds wait = std::chrono::seconds(10)) {
    for (;;) {
      auto m = c.next_push("event", wait);
      if (m.is_null() || m["topic"] == "jobs/llm") {
        return m;
      }
    }
  }

  void publish(const std::string& topic, json data, const std::string& idem) {
    auto r = c.request(
        {{"op", "publish"}, {"topic", topic}, {"data", std::move(data)}, {"idem", idem}}, ++id);
    EXPECT_TRUE(r.contains("ok")) << r.dump();
  }

  static std::vector<std::string> words(const std::string& text) {
    std::vector<std::string> out;
    std::string w;
    for (char ch : text) {
      if (ch == ' ') {
        out.push_back(w);
        w.clear();
      } else {
        w += ch;
      }
    }
    out.push_back(w);
    return out;
  }

  /// The fake model's answer to a job.
  static json model(const json& job) {
    const std::string system = job["body"]["system"];
    if (system.starts_with("Split")) {
      return {{"text", ""}, {"items", {"Why LMDB?", "Why RocksDB?"}}};
    }
    if (system.starts_with("Answer")) {
      return {{"text", "because of " + std::string(job["body"]["user"])}, {"items", json::array()}};
    }
    return {{"text", "LMDB reads fast and RocksDB writes fast"}, {"items", json::array()}};
  }

  /// Streams the first `upto` words of the answer (all when -1) to stream_to.
  void stream(const json& ev, int upto) {
    const auto& job = ev["data"];
    // The attempt alone does not name a run: after a node crash it may repeat.
    const std::string stream = std::string(job["corr"]) + "/" +
                               std::to_string(ev["attempt"].get<int>()) + "." +
                               std::to_string(++runs);
    auto part = [&](int i, const std::string& type, json body) {
      body["stream"] = stream;
      publish(job["stream_to"], {{"type", type}, {"turn", job["turn"]}, {"body", body}},
              stream + "/" + std::to_string(i));
    };
    auto ws = words(model(job)["text"]);
    part(0, "text-start", json::object());
    const int n = upto < 0 ? static_cast<int>(ws.size()) : upto;
    for (int i = 0; i < n; ++i) {
      part(i + 1, "text-delta", {{"delta", (i ? " " : "") + ws[static_cast<std::size_t>(i)]}});
    }
    if (upto < 0) {
      part(n + 1, "text-end", json::object());
    }
  }

  void answer(const json& ev) {
    const auto& job = ev["data"];
    if (job.contains("stream_to") && job["body"]["stream"] == true) {
      stream(ev, -1);
    }
    publish(job["reply_to"], {{"type", "reply"}, {"corr", job["corr"]}, {"body", model(job)}},
            std::string(job["corr"]) + ":reply");
    auto r = c.request({{"op", "ack"}, {"topic", "jobs/llm"}, {"group", "llm"}, {"seq", ev["seq"]}},
                       ++id);
    EXPECT_TRUE(r.contains("ok")) << r.dump();
  }
};

json history(uint16_t port, const std::string& topic) {
  encoded_client c{port, wire::in_json};
  c.connect();
  return c.request({{"op", "history"}, {"topic", topic}, {"from_seq", 1}, {"limit", 1000}}, 9);
}

TEST(AgentKill, AWorkflowKilledTwiceFinishesWithEveryOutputEventOnce) {
  temp_dir dir;
  int run = 0; // one log per run: wait_for_port reads the first port its log names
  auto log = [&] { return dir.path() / ("node-" + std::to_string(++run) + ".log"); };
  json researcher_jobs = json::array();
  {
    node_process n{SWITCHYARD_RESEARCH_BIN, research_args(dir), log()};
    const auto port = n.wait_for_port();
    ASSERT_NE(port, 0) << n.log();
    llm_worker worker{port};
    encoded_client browser{port, wire::in_json};
    browser.connect();
    auto sent = browser.request(
        {{"op", "publish"},
         {"topic", conv_inbox},
         {"idem", "conv-k:t1"},
         {"data",
          {{"type", "research.prompt"}, {"turn", "t1"}, {"body", {{"text", "LMDB or RocksDB?"}}}}}},
        1);
    ASSERT_TRUE(sent.contains("ok")) << sent.dump();
    auto plan = worker.take();
    ASSERT_FALSE(plan.is_null()) << n.log();
    worker.answer(plan);
    for (int i = 0; i < 2; ++i) {
      auto job = worker.take();
      ASSERT_FALSE(job.is_null()) << n.log();
      researcher_jobs.push_back(job); // taken, never answered: the calls are out
    }
    n.signal(SIGKILL);
    n.wait();
  }
  {
    node_process n{SWITCHYARD_RESEARCH_BIN, research_args(dir), log()};
    const auto port = n.wait_for_port();
    ASSERT_NE(port, 0) << n.log();
    llm_worker worker{port};
    for (int i = 0; i < 2; ++i) {
      auto job = worker.take();
      ASSERT_FALSE(job.is_null()) << "a researcher's job was not delivered again\n" << n.log();
      // Its attempt may be 1 again: a delivery whose group state had not been committed
      // when the node died is not counted (at-least-once still holds).
      worker.answer(job);
    }
    auto write = worker.take();
    ASSERT_FALSE(write.is_null()) << n.log();
    EXPECT_EQ(write["data"]["stream_to"], conv_out);
    worker.stream(write, 3); // three tokens out, then the node dies
    n.signal(SIGKILL);
    n.wait();
  }
  node_process n{SWITCHYARD_RESEARCH_BIN, research_args(dir), log()};
  const auto port = n.wait_for_port();
  ASSERT_NE(port, 0) << n.log();
  {
    llm_worker worker{port};
    auto write = worker.take();
    ASSERT_FALSE(write.is_null()) << "the writer's job was not delivered again\n" << n.log();
    worker.answer(write);
  }
  // The report is the last output event; wait for it, then read the whole out topic.
  json events;
  for (int i = 0; i < 100; ++i) {
    auto h = history(port, conv_out);
    ASSERT_TRUE(h.contains("ok")) << h.dump();
    events = h["ok"]["events"];
    if (!events.empty() && events.back()["data"]["type"] == "research.report") {
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  std::vector<std::string> outputs;
  std::vector<std::string> streams; // stream id of each part, in order
  std::map<std::string, std::string> text;
  std::string report;
  for (const auto& ev : events) {
    const auto& data = ev["data"];
    const std::string type = data["type"];
    if (type.starts_with("text-")) {
      const std::string id = data["body"]["stream"];
      if (streams.empty() || streams.back() != id) {
        streams.push_back(id);
      }
      if (type == "text-delta") {
        text[id] += std::string(data["body"]["delta"]);
      }
      continue;
    }
    outputs.push_back(type == "ui.status" ? std::string(data["body"]["phase"]) : type);
    if (type == "research.report") {
      report = data["body"]["text"];
    }
  }
  EXPECT_EQ(outputs,
            (std::vector<std::string>{"planning", "researching", "writing", "research.report"}))
      << events.dump(1);
  ASSERT_EQ(streams.size(), 2u) << "one cut-off stream, then the whole second one, not interleaved";
  EXPECT_EQ(text[streams[0]], "LMDB reads fast");
  EXPECT_EQ(text[streams[1]], "LMDB reads fast and RocksDB writes fast");
  EXPECT_EQ(report, "LMDB reads fast and RocksDB writes fast");
}

} // namespace
} // namespace switchyard::testing
