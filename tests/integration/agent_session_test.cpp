// Agent sessions on a real node: the research sample's kinds run end to end with a
// worker over a real WebSocket; an unregistered kind is not_found; a handler that keeps
// throwing dead-letters its event while the session goes on; a timer armed before the
// node stopped fires after it started again; sessions come back from their snapshot
// after retention took their early inbox, passivate with a timer armed, are not woken
// by a restart without work, report a handler that decides differently on replay; a
// worker that dies mid-job is replaced by a fresh stream; a late reply stays ignored.

#include "actors/node_context.hpp"
#include "samples/research/research.hpp"
#include "store/event_store.hpp"
#include "tests/support/encoded_client.hpp"
#include "tests/support/test_node.hpp"
#include "tests/support/ws_client.hpp"

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

struct add {
  static constexpr std::string_view type = "tally.add";
  std::uint32_t by = 1;
  MSGPACK_DEFINE_MAP(by)
};
struct total {
  static constexpr std::string_view type = "tally.total";
  std::uint32_t n = 0;
  MSGPACK_DEFINE_MAP(n)
};

/// Counts its events: its state is what a rebuild must get right.
struct tally {
  static constexpr std::string_view name = "tally";
  struct state {
    std::uint32_t n = 0;
    MSGPACK_DEFINE_MAP(n)
  };
  using events = ag::handles<add>;
  static void on(state& s, const add& a, ag::context& ctx) {
    s.n += a.by;
    ctx.emit(ctx.out(), total{s.n});
  }
};

struct flip {
  static constexpr std::string_view type = "coin.flip";
  std::uint32_t times = 1;
  MSGPACK_DEFINE_MAP(times)
};
struct side {
  static constexpr std::string_view type = "coin.side";
  std::string name;
  MSGPACK_DEFINE_MAP(name)
};
/// What the coin says: a handler that reads it is nondeterministic on purpose.
inline std::string coin_face = "heads";

struct coin {
  static constexpr std::string_view name = "coin";
  struct state {
    std::uint32_t flips = 0;
    MSGPACK_DEFINE_MAP(flips)
  };
  using events = ag::handles<flip>;
  static void on(state& s, const flip& f, ag::context& ctx) {
    s.flips += f.times;
    ctx.emit(ctx.out(), side{coin_face});
  }
};

struct question {
  static constexpr std::string_view type = "ask.question";
  std::string text;
  MSGPACK_DEFINE_MAP(text)
};
struct answer {
  static constexpr std::string_view type = "ask.answer";
  std::string text;
  MSGPACK_DEFINE_MAP(text)
};

/// Asks worker group `slow` with a short timeout and a stream to its out topic.
struct asker {
  static constexpr std::string_view name = "asker";
  struct state {
    std::uint32_t asked = 0;
    MSGPACK_DEFINE_MAP(asked)
  };
  using events = ag::handles<question, ag::reply<answer>, ag::call_failed>;
  static void on(state& s, const question& q, ag::context& ctx) {
    ++s.asked;
    ctx.call<answer>(ag::target::group("slow"), q,
                     {.timeout = ag::duration{700}, .stream_to = ctx.out()});
  }
  static void on(state&, const ag::reply<answer>& r, ag::context& ctx) {
    ctx.emit(ctx.out(), r.value);
  }
  static void on(state&, const ag::call_failed&, ag::context& ctx) {
    ctx.emit(ctx.out(), answer{"timed out"});
  }
};

template <class K> std::shared_ptr<const ag::detail::kind_entry> kind(ag::kind_options opts = {}) {
  return std::make_shared<const ag::detail::kind_entry>(ag::detail::make_kind_entry<K>(opts));
}

void with_kinds(runtime::node_config& cfg) {
  cfg.agent_kinds = {kind<research::planner>(), kind<research::researcher>(),
                     kind<research::writer>(), kind<alarm>(), kind<asker>()};
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

/// The stored events of `topic` from `from`, once there are at least `n` (what there is
/// after ~2 s).
json wait_history(encoded_client& c, const std::string& topic, std::size_t n, uint64_t from = 1) {
  json events = json::array();
  for (int tries = 0; tries < 100; ++tries) {
    auto h = c.request({{"op", "history"}, {"topic", topic}, {"from_seq", from}}, next_id());
    events = h["ok"]["events"];
    if (events.size() >= n) {
      break;
    }
    std::this_thread::sleep_for(20ms);
  }
  return events;
}

/// Polls `value` until it equals `want` (about 3 s at most); returns what it last was.
template <class F> auto settle(F value, decltype(value()) want) {
  auto v = value();
  for (int tries = 0; tries < 150 && v != want; ++tries) {
    std::this_thread::sleep_for(20ms);
    v = value();
  }
  return v;
}

/// Waits until the store has the session's checkpoint at `seq` or later.
void wait_applied(test_node& node, const std::string& inbox, uint64_t seq) {
  auto* store = node.get().context().store;
  uint64_t applied = 0;
  for (int tries = 0; tries < 150 && applied < seq; ++tries) {
    std::optional<store::agent_record> rec;
    if (store->load_agent("default", inbox, rec).ok() && rec) {
      applied = rec->progress.applied_seq;
    }
    if (applied < seq) {
      std::this_thread::sleep_for(20ms);
    }
  }
  EXPECT_GE(applied, seq) << inbox << ": checkpoint";
}

TEST(AgentSessions, ASessionComesBackFromItsSnapshotAfterRetentionDeletedItsEarlyInbox) {
  temp_dir data;
  auto same_store = [&](runtime::node_config& cfg) {
    cfg.agent_kinds = {kind<tally>({.snapshot_every = 2})};
    cfg.store.data_dir = data.path().string();
  };
  {
    test_node first{same_store};
    encoded_client c{first.port(), wire::in_json};
    c.connect();
    for (int i = 0; i < 5; ++i) {
      ASSERT_EQ(publish(c, "agents/tally/t1", {{"type", "tally.add"}, {"body", json::object()}})
                    .count("ok"),
                1u);
    }
    ASSERT_EQ(wait_history(c, "agents/tally/t1/out", 5).size(), 5u);
    wait_applied(first, "agents/tally/t1", 5);
  }
  {
    std::string error;
    auto store = store::event_store::open({data.path().string()}, error);
    ASSERT_TRUE(store) << error;
    std::optional<store::agent_record> rec;
    ASSERT_TRUE(store->load_agent("default", "agents/tally/t1", rec).ok());
    ASSERT_TRUE(rec.has_value());
    EXPECT_EQ(rec->progress.applied_seq, 5u);
    ASSERT_TRUE(rec->snapshot.has_value());
    EXPECT_GE(rec->snapshot->seq, 4u) << "a snapshot every 2 events";
    store::sweep_request req;
    req.policy.max_age_ms = 1;
    req.now_ms = INT64_MAX / 2; // every event is old
    store::sweep_result out;
    ASSERT_TRUE(store->sweep(req, out).ok());
    store::topic_info inbox;
    ASSERT_TRUE(store->info("default", "agents/tally/t1", inbox).ok());
    EXPECT_EQ(inbox.first_seq, rec->snapshot->seq == 5 ? 0u : rec->snapshot->seq + 1)
        << "retention took the inbox up to the snapshot, and no further";
  }
  test_node second{same_store};
  encoded_client c{second.port(), wire::in_json};
  c.connect();
  ASSERT_EQ(
      publish(c, "agents/tally/t1", {{"type", "tally.add"}, {"body", json::object()}}).count("ok"),
      1u);
  auto out = wait_history(c, "agents/tally/t1/out", 1, 6); // the sweep took 1..5 too
  ASSERT_FALSE(out.empty());
  EXPECT_EQ(out.back()["data"]["body"]["n"], 6) << "the count survived its inbox";
  EXPECT_EQ(out.back()["seq"], 6) << "nothing was emitted twice";
}

TEST(AgentSessions, AnIdleSessionPassivatesWithATimerArmedAndARestartWakesOnlySessionsWithWork) {
  temp_dir data;
  auto same_store = [&](runtime::node_config& cfg) {
    cfg.agent_kinds = {kind<alarm>({.idle = ag::duration{100}}), kind<tally>()};
    cfg.store.data_dir = data.path().string();
  };
  {
    test_node first{same_store};
    auto& ctx = first.get().context();
    encoded_client c{first.port(), wire::in_json};
    c.connect();
    ASSERT_EQ(subscribe(c, "agents/alarm/p1/out").count("ok"), 1u);
    ASSERT_EQ(publish(c, "agents/alarm/p1",
                      {{"type", "alarm.set"}, {"body", {{"ms", 1500}, {"text", "later"}}}})
                  .count("ok"),
              1u);
    EXPECT_EQ(settle([&] { return ctx.live_agent_sessions.load(); }, 0), 0)
        << "passivated with its timer armed";
    auto rung = next_event(c, "agents/alarm/p1/out");
    ASSERT_FALSE(rung.is_null()) << "woken when the timer was due";
    EXPECT_EQ(rung["data"]["body"]["text"], "later");
    for (int i = 0; i < 3; ++i) {
      publish(c, "agents/tally/q" + std::to_string(i),
              {{"type", "tally.add"}, {"body", json::object()}});
      ASSERT_EQ(wait_history(c, "agents/tally/q" + std::to_string(i) + "/out", 1).size(), 1u);
      wait_applied(first, "agents/tally/q" + std::to_string(i), 1);
    }
    wait_applied(first, "agents/alarm/p1", 2);
  }
  test_node second{same_store};
  auto& ctx = second.get().context();
  std::this_thread::sleep_for(300ms);
  EXPECT_EQ(ctx.live_agent_sessions.load(), 0) << "no session had work";
  encoded_client c{second.port(), wire::in_json};
  c.connect();
  publish(c, "agents/tally/q1", {{"type", "tally.add"}, {"body", json::object()}});
  auto out = wait_history(c, "agents/tally/q1/out", 2);
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[1]["data"]["body"]["n"], 2);
  EXPECT_EQ(ctx.live_agent_sessions.load(), 1);
}

TEST(AgentSessions, AHandlerThatDecidesDifferentlyOnReplayIsReportedAndThePolicyApplies) {
  temp_dir data;
  auto coin_node = [&](bool keep_going) {
    return [&data, keep_going](runtime::node_config& cfg) {
      cfg.agent_kinds = {kind<coin>({.snapshot_every = 1000})};
      cfg.store.data_dir = data.path().string();
      cfg.agents.keep_going_on_divergence = keep_going;
    };
  };
  coin_face = "heads";
  {
    test_node first{coin_node(true)};
    encoded_client c{first.port(), wire::in_json};
    c.connect();
    for (int i = 0; i < 3; ++i) {
      publish(c, "agents/coin/c1", {{"type", "coin.flip"}, {"body", json::object()}});
    }
    ASSERT_EQ(wait_history(c, "agents/coin/c1/out", 3).size(), 3u);
    wait_applied(first, "agents/coin/c1", 3);
    EXPECT_EQ(first.get().context().metrics.agent_divergences_total.load(), 0u);
  }
  coin_face = "tails"; // as if the handler had changed between two deployments
  {
    test_node second{coin_node(true)};
    encoded_client c{second.port(), wire::in_json};
    c.connect();
    publish(c, "agents/coin/c1", {{"type", "coin.flip"}, {"body", json::object()}});
    auto out = wait_history(c, "agents/coin/c1/out", 4);
    ASSERT_EQ(out.size(), 4u);
    EXPECT_EQ(out[2]["data"]["body"]["name"], "heads") << "replay published nothing";
    EXPECT_EQ(out[3]["data"]["body"]["name"], "tails");
    EXPECT_EQ(second.get().context().metrics.agent_divergences_total.load(), 3u);
    wait_applied(second, "agents/coin/c1", 4);
  }
  coin_face = "heads";
  test_node third{coin_node(false)};
  encoded_client c{third.port(), wire::in_json};
  c.connect();
  publish(c, "agents/coin/c1", {{"type", "coin.flip"}, {"body", json::object()}});
  auto& metrics = third.get().context().metrics;
  EXPECT_GE(settle([&] { return metrics.agent_divergences_total.load(); }, 1u), 1u);
  std::this_thread::sleep_for(500ms);
  EXPECT_EQ(wait_history(c, "agents/coin/c1/out", 5).size(), 4u)
      << "on_divergence stop: the new event waits in the inbox";
  coin_face = "heads";
}

TEST(AgentSessions, AWorkerThatDiesMidJobIsReplacedByAFreshStreamAndALateReplyIsIgnored) {
  temp_dir data;
  auto same_store = [&](runtime::node_config& cfg) {
    with_kinds(cfg);
    cfg.store.data_dir = data.path().string();
  };
  auto join_slow = [](encoded_client& w) {
    auto r = w.request(
        {{"op", "subscribe"}, {"topic", "jobs/slow"}, {"mode", "queue"}, {"group", "slow"}},
        next_id());
    ASSERT_EQ(r.count("ok"), 1u) << r.dump();
  };
  auto stream_part = [](encoded_client& w, const json& job, const std::string& stream, int i,
                        const std::string& type) {
    publish(w, job["stream_to"], {{"type", type}, {"body", {{"stream", stream}}}},
            {{"idem", stream + "/" + std::to_string(i)}});
  };
  {
    test_node node{same_store};
    encoded_client browser{node.port(), wire::in_json};
    browser.connect();
    ASSERT_EQ(subscribe(browser, "agents/asker/a1/out").count("ok"), 1u);
    auto first = std::make_unique<encoded_client>(node.port(), wire::in_json);
    first->connect();
    join_slow(*first);
    publish(browser, "agents/asker/a1", {{"type", "ask.question"}, {"body", {{"text", "q"}}}});
    auto job = next_event(*first, "jobs/slow");
    ASSERT_FALSE(job.is_null());
    EXPECT_EQ(job["attempt"], 1);
    const auto corr = std::string(job["data"]["corr"]);
    stream_part(*first, job["data"], corr + "/1", 0, "text-start");
    stream_part(*first, job["data"], corr + "/1", 1, "text-delta");
    first->socket().abort(); // the worker dies without an ack

    encoded_client second{node.port(), wire::in_json};
    second.connect();
    join_slow(second);
    auto again = next_event(second, "jobs/slow");
    ASSERT_FALSE(again.is_null()) << "the job was redelivered";
    EXPECT_EQ(again["attempt"], 2);
    EXPECT_EQ(again["data"]["corr"], corr);
    stream_part(second, again["data"], corr + "/2", 0, "text-start");
    stream_part(second, again["data"], corr + "/2", 1, "text-end");
    publish(second, again["data"]["reply_to"],
            {{"type", "reply"}, {"corr", corr}, {"body", {{"text", "forty-two"}}}},
            {{"idem", corr + ":reply"}});
    auto out = wait_history(browser, "agents/asker/a1/out", 5);
    ASSERT_EQ(out.size(), 5u);
    std::vector<std::string> seen;
    for (const auto& ev : out) {
      const auto& d = ev["data"];
      seen.push_back(d["type"] == "ask.answer"
                         ? std::string(d["body"]["text"])
                         : std::string(d["type"]) + " " +
                               std::string(d["body"]["stream"]).substr(corr.size()));
    }
    EXPECT_EQ(seen, (std::vector<std::string>{"text-start /1", "text-delta /1", "text-start /2",
                                              "text-end /2", "forty-two"}));

    // A second question times out (700 ms); its late reply is then dropped.
    publish(browser, "agents/asker/a1", {{"type", "ask.question"}, {"body", {{"text", "q2"}}}});
    auto late = next_event(second, "jobs/slow");
    ASSERT_FALSE(late.is_null());
    auto timed_out = wait_history(browser, "agents/asker/a1/out", 6);
    ASSERT_EQ(timed_out.size(), 6u);
    EXPECT_EQ(timed_out[5]["data"]["body"]["text"], "timed out");
    const auto late_corr = std::string(late["data"]["corr"]);
    publish(second, late["data"]["reply_to"],
            {{"type", "reply"}, {"corr", late_corr}, {"body", {{"text", "too late"}}}},
            {{"idem", late_corr + ":reply"}});
    std::this_thread::sleep_for(300ms);
    EXPECT_EQ(wait_history(browser, "agents/asker/a1/out", 7).size(), 6u) << "late reply ignored";
  }
  // After a restart the session is rebuilt (snapshot and replay): still ignored, nothing
  // emitted again, and it goes on.
  test_node node{same_store};
  encoded_client c{node.port(), wire::in_json};
  c.connect();
  publish(c, "agents/asker/a1", {{"type", "ask.question"}, {"body", {{"text", "q3"}}}});
  auto out = wait_history(c, "agents/asker/a1/out", 7);
  ASSERT_EQ(out.size(), 7u) << "the third question timed out (no worker), nothing else";
  EXPECT_EQ(out[6]["data"]["body"]["text"], "timed out");
}

TEST(AgentSessions, PastTheTenantsMaxAgentSessionsASessionWaitsUntilAnotherPassivated) {
  test_node node{[](runtime::node_config& cfg) {
    cfg.agent_kinds = {kind<tally>()};
    cfg.tenants.defaults.max_agent_sessions = 2;
  }};
  encoded_client c{node.port(), wire::in_json};
  c.connect();
  constexpr int sessions = 5;
  std::vector<json> frame; // one frame: the sessions want to start together
  for (int i = 0; i < sessions; ++i) {
    frame.push_back({{"op", "publish"},
                     {"id", 700 + i},
                     {"topic", "agents/tally/m" + std::to_string(i)},
                     {"data", {{"type", "tally.add"}, {"body", json::object()}}}});
  }
  c.send_frame(frame);
  for (int i = 0; i < sessions; ++i) {
    ASSERT_EQ(c.reply(700 + i).count("ok"), 1u) << "the publish itself is never refused";
  }
  for (int i = 0; i < sessions; ++i) {
    EXPECT_EQ(wait_history(c, "agents/tally/m" + std::to_string(i) + "/out", 1).size(), 1u)
        << "session m" << i << " got its turn";
  }
  EXPECT_LE(node.get().context().live_agent_sessions.load(), 2);
}

TEST(AgentSessions, TheNodesAgentsOptionsCapWhatAKindAsksFor) {
  test_node node{[](runtime::node_config& cfg) {
    with_kinds(cfg); // the planner fans out to every sub-question (max_fan_out 64)
    cfg.agents.max_fan_out = 1;
  }};
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
  ASSERT_EQ(subscribe(browser, "dead/agents/research/conv-f").count("ok"), 1u);
  publish(browser, "agents/research/conv-f",
          {{"type", "research.prompt"}, {"turn", "t1"}, {"body", {{"text", "a or b"}}}});
  ASSERT_FALSE(answer_one_job(worker).is_null()); // the plan: two sub-questions
  auto dead = next_event(browser, "dead/agents/research/conv-f");
  ASSERT_FALSE(dead.is_null());
  EXPECT_NE(std::string(dead["data"]["last_error"]).find("over max_fan_out (1)"), std::string::npos)
      << dead.dump();
}

TEST(AgentSessions, TheAdminApiListsSessionsWithTheirCheckpointsAndShowsATimeline) {
  test_node node{[](runtime::node_config& cfg) { cfg.agent_kinds = {kind<tally>()}; }};
  encoded_client c{node.port(), wire::in_json};
  c.connect();
  for (const auto* session : {"v1", "v1", "v2"}) {
    publish(c, std::string("agents/tally/") + session,
            {{"type", "tally.add"}, {"turn", "t"}, {"body", {{"by", 2}}}});
  }
  wait_applied(node, "agents/tally/v1", 2);
  wait_applied(node, "agents/tally/v2", 1);

  auto listed = http_call(node.port(), "GET", "/admin/v1/agents?kind=tally");
  ASSERT_EQ(listed.status, 200) << listed.body;
  auto sessions = json::parse(listed.body)["sessions"];
  ASSERT_EQ(sessions.size(), 2u) << listed.body << " (the out topics are not sessions)";
  EXPECT_EQ(sessions[0]["session"], "v1");
  EXPECT_EQ(sessions[0]["kind"], "tally");
  EXPECT_EQ(sessions[0]["tenant"], "default");
  EXPECT_EQ(sessions[0]["inbox"]["last_seq"], 2);
  EXPECT_EQ(sessions[0]["unapplied"], 0);
  EXPECT_EQ(sessions[0]["served"], true);
  EXPECT_EQ(sessions[0]["checkpoint"]["applied_seq"], 2);
  EXPECT_EQ(sessions[1]["session"], "v2");

  auto timeline = http_call(node.port(), "GET", "/admin/v1/agents/tally/v1/timeline");
  ASSERT_EQ(timeline.status, 200) << timeline.body;
  auto t = json::parse(timeline.body);
  EXPECT_EQ(t["session"], "agents/tally/v1");
  ASSERT_EQ(t["events"].size(), 2u) << timeline.body;
  EXPECT_EQ(t["events"][1]["seq"], 2);
  EXPECT_EQ(t["events"][1]["data"]["type"], "tally.add");
  EXPECT_EQ(t["events"][1]["data"]["body"]["by"], 2);
  EXPECT_EQ(t["events"][1]["applied"], true);
  EXPECT_EQ(std::string(t["events"][1]["digest"]).size(), 16u) << timeline.body;
  EXPECT_EQ(t["checkpoint"]["applied_seq"], 2);

  EXPECT_EQ(http_call(node.port(), "GET", "/admin/v1/agents/tally/nope/timeline").status, 404);
  EXPECT_EQ(http_call(node.port(), "GET", "/admin/v1/agents/tally/v1").status, 404);
  EXPECT_EQ(http_call(node.port(), "GET", "/admin/v1/agents?kind=a/b").status, 400);
  EXPECT_EQ(http_call(node.port(), "GET",
                      "/admin/v1/agents/tally/v1/timeline?tenant=" + std::string(300, 't'))
                .status,
            400)
      << "a tenant the store cannot key is the caller's mistake, not a store failure";
}

} // namespace agent_session_test
} // namespace switchyard::testing
