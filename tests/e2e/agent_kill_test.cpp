// End-to-end against the research sample's node (the real binary):
// - killed with SIGKILL twice in the middle of a workflow, first while the researchers'
//   LLM calls are out, then while the writer's tokens stream. After each restart the
//   workflow goes on (the sessions are rebuilt from their checkpoints and inboxes, the
//   unacked jobs come again), and at the end every output event of the conversation is
//   on its out topic exactly once, with the one complete token stream of the last attempt
//   after the cut-off one;
// - with the node up, the worker streaming the writer's tokens dies: the job comes again
//   to another worker (attempt 2), whose stream follows the cut-off one, not mixed in.

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

/// What the conversation's out topic holds, once its report is there (or after ~10 s).
struct transcript {
  json events;
  std::vector<std::string> outputs; ///< every event but the stream parts, by type or phase
  std::vector<std::string> streams; ///< stream id of each run of parts, in order
  std::map<std::string, std::string> text;
  std::string report;
};

transcript read_transcript(uint16_t port) {
  transcript t;
  for (int i = 0; i < 100; ++i) {
    auto h = history(port, conv_out);
    EXPECT_TRUE(h.contains("ok")) << h.dump();
    t.events = h["ok"]["events"];
    if (!t.events.empty() && t.events.back()["data"]["type"] == "research.report") {
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  for (const auto& ev : t.events) {
    const auto& data = ev["data"];
    const std::string type = data["type"];
    if (type.starts_with("text-")) {
      const std::string id = data["body"]["stream"];
      if (t.streams.empty() || t.streams.back() != id) {
        t.streams.push_back(id);
      }
      if (type == "text-delta") {
        t.text[id] += std::string(data["body"]["delta"]);
      }
      continue;
    }
    t.outputs.push_back(type == "ui.status" ? std::string(data["body"]["phase"]) : type);
    if (type == "research.report") {
      t.report = data["body"]["text"];
    }
  }
  return t;
}

const std::vector<std::string> every_output = {"planning", "researching", "writing",
                                               "research.report"};

json ask(uint16_t port) {
  encoded_client browser{port, wire::in_json};
  browser.connect();
  return browser.request(
      {{"op", "publish"},
       {"topic", conv_inbox},
       {"idem", "conv-k:t1"},
       {"data",
        {{"type", "research.prompt"}, {"turn", "t1"}, {"body", {{"text", "LMDB or RocksDB?"}}}}}},
      1);
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
    auto sent = ask(port);
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
  auto t = read_transcript(port);
  EXPECT_EQ(t.outputs, every_output) << t.events.dump(1);
  ASSERT_EQ(t.streams.size(), 2u) << "one cut-off stream, then the whole second one";
  EXPECT_EQ(t.text[t.streams[0]], "LMDB reads fast");
  EXPECT_EQ(t.text[t.streams[1]], "LMDB reads fast and RocksDB writes fast");
  EXPECT_EQ(t.report, "LMDB reads fast and RocksDB writes fast");
}

TEST(AgentKill, AWorkerKilledMidStreamHasItsJobRedeliveredAndTheStreamStartsOver) {
  temp_dir dir;
  node_process n{SWITCHYARD_RESEARCH_BIN, research_args(dir), dir.path() / "node.log"};
  const auto port = n.wait_for_port();
  ASSERT_NE(port, 0) << n.log();
  std::string corr;
  {
    llm_worker doomed{port};
    auto sent = ask(port);
    ASSERT_TRUE(sent.contains("ok")) << sent.dump();
    for (int i = 0; i < 3; ++i) { // the plan, then both researchers
      auto job = doomed.take();
      ASSERT_FALSE(job.is_null()) << n.log();
      doomed.answer(job);
    }
    auto write = doomed.take();
    ASSERT_FALSE(write.is_null()) << n.log();
    EXPECT_EQ(write["attempt"], 1);
    corr = write["data"]["corr"];
    doomed.stream(write, 3);
    doomed.c.socket().abort(); // dies mid-stream, its job unacked
  }
  llm_worker rescuer{port};
  auto again = rescuer.take();
  ASSERT_FALSE(again.is_null()) << "the writer's job was not delivered again\n" << n.log();
  EXPECT_EQ(again["attempt"], 2);
  EXPECT_EQ(again["data"]["corr"], corr);
  rescuer.answer(again);
  auto t = read_transcript(port);
  EXPECT_EQ(t.outputs, every_output) << t.events.dump(1);
  ASSERT_EQ(t.streams.size(), 2u) << "the cut-off stream, then the whole new one, not interleaved";
  EXPECT_NE(t.streams[0], t.streams[1]);
  EXPECT_EQ(t.text[t.streams[0]], "LMDB reads fast");
  EXPECT_EQ(t.text[t.streams[1]], "LMDB reads fast and RocksDB writes fast");
  EXPECT_EQ(t.report, "LMDB reads fast and RocksDB writes fast");
}

} // namespace
} // namespace switchyard::testing
