// Agent sessions on a real node: the research sample's kinds run end to end with a
// worker over a real WebSocket; an unregistered kind is not_found; a handler that keeps
// throwing dead-letters its event while the session goes on; a timer armed before the
// node stopped fires after it started again.

#include "actors/node_context.hpp"
#include "samples/research/research.hpp"
#include "tests/support/encoded_client.hpp"
#include "tests/support/test_node.hpp"

#include <thread>

#include <gtest/gtest.h>
#include <switchyard/agents/detail/kind_entry.hpp>

namespace switchyard::testing {
namespace agent_session_test {

using namespace std::chrono_literals;
namespace ag = switchyard::agents;

struct set_alarm {
  static constexpr std::string_view type = "alarm.set";
  std::int64_t ms = 0;
  std::string text;
  MSGPACK_DEFINE_MAP(ms, text)
};
struct ring {
  static constexpr std::string_view type = "alarm.ring";
  std::string text;
  MSGPACK_DEFINE_MAP(text)
};
struct explode {
  static constexpr std::string_view type = "alarm.explode";
  std::string why;
  MSGPACK_DEFINE_MAP(why)
};

/// Arms timers, rings them to `out`, and explodes on demand.
struct alarm {
  static constexpr std::string_view name = "alarm";
  struct state {
    std::uint32_t rung = 0;
    MSGPACK_DEFINE_MAP(rung)
  };
  using events = ag::handles<set_alarm, ring, explode, ag::poisoned>;
  static void on(state&, const set_alarm& s, ag::context& ctx) {
    ctx.after(ag::duration{s.ms}, ring{s.text});
  }
  static void on(state& s, const ring& r, ag::context& ctx) {
    ++s.rung;
    ctx.emit(ctx.out(), r);
  }
  static void on(state&, const explode& e, ag::context&) { throw std::runtime_error{e.why}; }
  static void on(state&, const ag::poisoned& p, ag::context& ctx) {
    ctx.emit(ctx.out(), ring{"poisoned " + std::to_string(p.seq) + ": " + p.error});
  }
};

template <class K> std::shared_ptr<const ag::detail::kind_entry> kind(ag::kind_options opts = {}) {
  return std::make_shared<const ag::detail::kind_entry>(ag::detail::make_kind_entry<K>(opts));
}

void with_kinds(runtime::node_config& cfg) {
  cfg.agent_kinds = {kind<research::planner>(), kind<research::researcher>(),
                     kind<research::writer>(), kind<alarm>()};
}

int64_t next_id() {
  static int64_t id = 500;
  return ++id;
}

json publish(encoded_client& c, const std::string& topic, json data, json extra = json::object()) {
  extra["op"] = "publish";
  extra["topic"] = topic;
  extra["data"] = std::move(data);
  return c.request(extra, next_id());
}

json subscribe(encoded_client& c, const std::string& topic) {
  return c.request({{"op", "subscribe"}, {"topic", topic}}, next_id());
}

/// The next event push of `topic`.
json next_event(encoded_client& c, const std::string& topic) {
  for (int i = 0; i < 50; ++i) {
    auto m = c.next_push("event");
    if (m.is_null()) {
      break;
    }
    if (m["topic"] == topic) {
      return m;
    }
  }
  return nullptr;
}

/// Plays the LLM worker group: takes one job, answers it as the fake model would, acks.
json answer_one_job(encoded_client& worker) {
  auto ev = next_event(worker, "jobs/llm");
  if (ev.is_null()) {
    return ev;
  }
  const auto& job = ev["data"];
  const std::string system = job["body"]["system"];
  json body = {{"text", ""}, {"items", json::array()}};
  if (system.starts_with("Split")) {
    body["items"] = {"What is LMDB?", "What is RocksDB?"};
  } else if (system.starts_with("Answer")) {
    body["text"] = "fact about " + std::string(job["body"]["user"]);
  } else {
    body["text"] = "REPORT";
  }
  EXPECT_EQ(publish(worker, job["reply_to"],
                    {{"type", "reply"}, {"corr", job["corr"]}, {"body", body}},
                    {{"idem", std::string(job["corr"]) + ":reply"}})
                .count("ok"),
            1u);
  worker.request({{"op", "ack"}, {"topic", "jobs/llm"}, {"group", "llm"}, {"seq", ev["seq"]}},
                 next_id());
  return job;
}

TEST(AgentSessions, TheResearchWorkflowRunsEndToEndWithAWorkerOverWebSocket) {
  test_node node{with_kinds};
  encoded_client browser{node.port(), wire::in_json};
  browser.connect();
  encoded_client worker{node.port(), wire::in_msgpack};
  worker.connect();
  ASSERT_EQ(
      worker
          .request(
              {{"op", "subscribe"}, {"topic", "jobs/llm"}, {"mode", "queue"}, {"group", "llm"}},
              next_id())
          .count("ok"),
      1u);
  ASSERT_EQ(subscribe(browser, "agents/research/conv-1/out").count("ok"), 1u);
  auto sent = publish(
      browser, "agents/research/conv-1",
      {{"type", "research.prompt"}, {"turn", "t1"}, {"body", {{"text", "LMDB vs RocksDB"}}}});
  ASSERT_EQ(sent.count("ok"), 1u) << sent.dump();

  auto plan = answer_one_job(worker);
  ASSERT_FALSE(plan.is_null());
  EXPECT_EQ(plan["reply_to"], "agents/research/conv-1");
  EXPECT_EQ(plan["turn"], "t1");
  EXPECT_GT(plan["deadline_ms"].get<int64_t>(), 0);
  std::set<std::string> asked;
  for (int i = 0; i < 2; ++i) {
    auto job = answer_one_job(worker);
    ASSERT_FALSE(job.is_null()) << "researcher job " << i;
    asked.insert(job["reply_to"]);
  }
  EXPECT_EQ(asked, (std::set<std::string>{"agents/researcher/conv-1.2.0",
                                          "agents/researcher/conv-1.2.1"}));
  auto write = answer_one_job(worker);
  ASSERT_FALSE(write.is_null());
  EXPECT_EQ(write["stream_to"], "agents/research/conv-1/out");
  EXPECT_EQ(write["reply_to"], "agents/writer/conv-1");

  std::vector<std::string> seen;
  for (int i = 0; i < 4; ++i) {
    auto ev = next_event(browser, "agents/research/conv-1/out");
    ASSERT_FALSE(ev.is_null()) << "after " << seen.size() << " events";
    const auto& data = ev["data"];
    seen.push_back(data["type"] == "ui.status" ? std::string(data["body"]["phase"])
                                               : std::string(data["type"]));
    EXPECT_EQ(data["turn"], "t1");
    if (data["type"] == "research.report") {
      EXPECT_EQ(data["body"]["text"], "REPORT");
    }
  }
  EXPECT_EQ(seen,
            (std::vector<std::string>{"planning", "researching", "writing", "research.report"}));
}

TEST(AgentSessions, AnUnregisteredKindIsNotFoundAndItsOutTopicIsOrdinary) {
  test_node node{with_kinds};
  encoded_client c{node.port(), wire::in_json};
  c.connect();
  auto refused = publish(c, "agents/nosuch/s1", {{"type", "x"}});
  ASSERT_EQ(refused.count("error"), 1u) << refused.dump();
  EXPECT_EQ(refused["error"]["code"], "not_found");
  EXPECT_NE(std::string(refused["error"]["message"]).find("nosuch"), std::string::npos);
  EXPECT_EQ(publish(c, "agents/nosuch/s1/out", {{"type", "x"}}).count("ok"), 1u);

  test_node plain; // a node without kinds: every inbox is unknown
  encoded_client p{plain.port(), wire::in_json};
  p.connect();
  EXPECT_EQ(publish(p, "agents/alarm/a", {{"type", "alarm.set"}})["error"]["code"], "not_found");
}

TEST(AgentSessions, AHandlerThatKeepsThrowingDeadLettersItsEventAndTheSessionGoesOn) {
  test_node node{with_kinds};
  encoded_client c{node.port(), wire::in_json};
  c.connect();
  ASSERT_EQ(subscribe(c, "agents/alarm/a1/out").count("ok"), 1u);
  ASSERT_EQ(subscribe(c, "dead/agents/alarm/a1").count("ok"), 1u);
  publish(c, "agents/alarm/a1", {{"type", "alarm.explode"}, {"body", {{"why", "kaboom"}}}});
  publish(c, "agents/alarm/a1", {{"type", "alarm.set"}, {"body", {{"ms", 0}, {"text", "after"}}}});
  auto dead = next_event(c, "dead/agents/alarm/a1");
  ASSERT_FALSE(dead.is_null());
  EXPECT_EQ(dead["data"]["seq"], 1);
  EXPECT_EQ(dead["data"]["attempts"], 3);
  EXPECT_EQ(dead["data"]["last_error"], "kaboom");
  EXPECT_EQ(dead["data"]["data"]["type"], "alarm.explode");
  auto poisoned = next_event(c, "agents/alarm/a1/out");
  ASSERT_FALSE(poisoned.is_null());
  EXPECT_EQ(poisoned["data"]["body"]["text"], "poisoned 1: kaboom");
  auto rung = next_event(c, "agents/alarm/a1/out");
  ASSERT_FALSE(rung.is_null());
  EXPECT_EQ(rung["data"]["body"]["text"], "after");
}

TEST(AgentSessions, ATimerArmedBeforeTheNodeStoppedFiresAfterItStarts) {
  temp_dir data;
  auto same_store = [&](runtime::node_config& cfg) {
    with_kinds(cfg);
    cfg.store.data_dir = data.path().string();
  };
  {
    test_node first{same_store};
    encoded_client c{first.port(), wire::in_json};
    c.connect();
    ASSERT_EQ(publish(c, "agents/alarm/a2",
                      {{"type", "alarm.set"}, {"body", {{"ms", 1500}, {"text", "wake up"}}}})
                  .count("ok"),
              1u);
  }
  test_node second{same_store};
  encoded_client c{second.port(), wire::in_json};
  c.connect();
  ASSERT_EQ(
      c.request({{"op", "subscribe"}, {"topic", "agents/alarm/a2/out"}, {"from", {{"seq", 1}}}},
                next_id())
          .count("ok"),
      1u);
  auto rung = next_event(c, "agents/alarm/a2/out");
  ASSERT_FALSE(rung.is_null());
  EXPECT_EQ(rung["data"]["body"]["text"], "wake up");
  EXPECT_EQ(rung["seq"], 1);
  EXPECT_TRUE(c.next_push("event", 1s).is_null()) << "rung twice";
}

TEST(AgentSessions, LiveSessionsAndConcurrentRecoveriesStayWithinTheirBounds) {
  test_node node{[](runtime::node_config& cfg) {
    with_kinds(cfg);
    cfg.agents.max_live_sessions = 3;
    cfg.agents.max_concurrent_recoveries = 1;
  }};
  encoded_client c{node.port(), wire::in_json};
  c.connect();
  constexpr int sessions = 8;
  std::vector<json> frame; // one frame: the sessions start together
  for (int i = 0; i < sessions; ++i) {
    frame.push_back(
        {{"op", "publish"},
         {"id", 900 + i},
         {"topic", "agents/alarm/b" + std::to_string(i)},
         {"data", {{"type", "alarm.ring"}, {"body", {{"text", "hi " + std::to_string(i)}}}}}});
  }
  c.send_frame(frame);
  for (int i = 0; i < sessions; ++i) {
    ASSERT_EQ(c.reply(900 + i).count("ok"), 1u);
  }
  for (int i = 0; i < sessions; ++i) { // every session answered, one rebuild at a time
    json events;
    for (int tries = 0; tries < 100; ++tries) {
      auto h = c.request({{"op", "history"},
                          {"topic", "agents/alarm/b" + std::to_string(i) + "/out"},
                          {"from_seq", 1}},
                         next_id());
      events = h["ok"]["events"];
      if (!events.empty()) {
        break;
      }
      std::this_thread::sleep_for(20ms);
    }
    ASSERT_EQ(events.size(), 1u) << "session b" << i;
    EXPECT_EQ(events[0]["data"]["body"]["text"], "hi " + std::to_string(i));
  }
  auto& ctx = node.get().context();
  EXPECT_EQ(ctx.recovering_agent_sessions_peak.load(), 1);
  for (int tries = 0; tries < 100 && ctx.live_agent_sessions.load() > 3; ++tries) {
    std::this_thread::sleep_for(20ms);
  }
  EXPECT_LE(ctx.live_agent_sessions.load(), 3);
}

} // namespace agent_session_test
} // namespace switchyard::testing
