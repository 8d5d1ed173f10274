// The agent session engine through test_kit: effects, their names and tokens, the
// envelopes on the wire, routing of answers and timers, cancels, bounds, poison events
// and recovery by replay. No sockets, store or threads.

#include "protocol/codec.hpp"

#include <algorithm>
#include <map>
#include <stdexcept>

#include <gtest/gtest.h>
#include <msgpack.hpp>
#include <nlohmann/json.hpp>
#include <switchyard/agents.hpp>
#include <switchyard/agents/detail/envelope.hpp>
#include <switchyard/agents/test_kit.hpp>

namespace {

using namespace switchyard::agents;
using namespace std::chrono_literals;

struct ask {
  static constexpr std::string_view type = "test.ask";
  std::string text;
  std::string to = "llm"; ///< a group, or "agent:<kind>/<key>"
  MSGPACK_DEFINE_MAP(text, to)
};
struct answer {
  static constexpr std::string_view type = "test.answer";
  std::string text;
  MSGPACK_DEFINE_MAP(text)
};
struct wake {
  static constexpr std::string_view type = "test.wake";
  std::string why;
  MSGPACK_DEFINE_MAP(why)
};
struct arm {
  static constexpr std::string_view type = "test.arm";
  std::int64_t ms = 0;
  bool cancel_it = false;
  MSGPACK_DEFINE_MAP(ms, cancel_it)
};
struct boom {
  static constexpr std::string_view type = "test.boom";
  std::uint32_t times = 0; ///< throws this many times, then succeeds
  MSGPACK_DEFINE_MAP(times)
};
struct spread {
  static constexpr std::string_view type = "test.spread";
  std::uint32_t n = 0;
  std::uint32_t quorum = 0;
  MSGPACK_DEFINE_MAP(n, quorum)
};
struct grow {
  static constexpr std::string_view type = "test.grow";
  std::uint32_t bytes = 0;
  MSGPACK_DEFINE_MAP(bytes)
};

std::map<seq_t, std::uint32_t> boom_runs; // runs of each boom event, replays included

/// A kind that does one of everything, so each test drives one path.
struct probe {
  static constexpr std::string_view name = "probe";
  struct state {
    std::vector<std::string> seen;
    std::uint64_t dice = 0;
    std::string blob;
    MSGPACK_DEFINE_MAP(seen, dice, blob)
  };
  using events = handles<ask, reply<answer>, call_failed, wake, arm, boom, spread, joined<answer>,
                         cancel_turn, poisoned, grow>;

  static void on(state& s, const ask& a, context& ctx) {
    s.seen.push_back("ask:" + a.text);
    s.dice = ctx.random();
    auto to = a.to.starts_with("agent:") ? target::agent(a.to.substr(6, a.to.find('/') - 6),
                                                         a.to.substr(a.to.find('/') + 1))
                                         : target::group(a.to);
    call_options opts{.timeout = 30s, .tag = "q"};
    if (to.group_name.size())
      opts.stream_to = ctx.out();
    ctx.call<answer>(to, answer{a.text}, opts);
  }
  static void on(state& s, const reply<answer>& r, context& ctx) {
    s.seen.push_back("reply:" + r.tag + ":" + r.value.text);
    ctx.emit(ctx.out(), r.value);
  }
  static void on(state& s, const call_failed& f, context&) {
    s.seen.push_back(std::string{"failed:"} +
                     (f.reason == call_failed::why::timeout ? "timeout" : "error") + ":" +
                     f.detail);
  }
  static void on(state& s, const wake& w, context&) { s.seen.push_back("wake:" + w.why); }
  static void on(state& s, const arm& a, context& ctx) {
    auto id = ctx.after(duration{a.ms}, wake{"armed at " + std::to_string(ctx.seq())});
    if (a.cancel_it)
      ctx.cancel(id);
    s.seen.push_back("armed");
  }
  static void on(state& s, const boom& b, context& ctx) {
    if (auto& runs = boom_runs[ctx.seq()]; runs++ < b.times)
      throw std::runtime_error{"boom " + std::to_string(runs)};
    s.seen.push_back("survived");
  }
  static void on(state& s, const spread& sp, context& ctx) {
    std::vector<ask> inputs(sp.n, ask{"part", "llm"});
    ctx.fan_out<answer>("probe", inputs, {.deadline = 10s, .quorum = sp.quorum, .tag = "parts"});
    s.seen.push_back("spread");
  }
  static void on(state& s, const joined<answer>& j, context&) {
    std::string got = "joined:" + j.tag + ":";
    for (const auto& r : j.results)
      got += r ? r->text : "-";
    s.seen.push_back(got);
  }
  static void on(state& s, const cancel_turn& c, context&) {
    s.seen.push_back("cancelled:" + c.turn);
  }
  static void on(state& s, const poisoned& p, context&) {
    s.seen.push_back("poisoned:" + std::to_string(p.seq) + ":" + p.type);
  }
  static void on(state& s, const grow& g, context&) { s.blob.assign(g.bytes, 'x'); }
};

using kit = test_kit<probe>;

/// Decides from ambient state, which a kind must not do.
struct drifting {
  static constexpr std::string_view name = "drifting";
  struct state {
    std::uint32_t n = 0;
    MSGPACK_DEFINE_MAP(n)
  };
  using events = handles<wake>;
  static inline std::uint32_t calls = 0;
  static void on(state& s, const wake&, context& ctx) {
    ++s.n;
    ctx.emit(ctx.out(), wake{std::to_string(++calls)}); // ambient state: not allowed
  }
};

std::vector<std::string> seen(const kit& k) {
  return k.state().seen;
}

TEST(AgentEffects, AnEffectIsNamedBySessionSeqAndIndexAndItsTokenIsSha256Base64url) {
  effect_id id{"agents/research/conv-2", 1, 0};
  EXPECT_EQ(id.name(), "agents/research/conv-2#1.0");
  EXPECT_EQ(id.token(), "Bc5Eku6tbSg6v0_qtXBYMTraGbVF5xKxbEaaSa6Dogg");

  kit k{"conv-2"};
  k.send(ask{"hi"});
  auto jobs = k.calls("llm");
  ASSERT_EQ(jobs.size(), 1u);
  EXPECT_EQ(jobs[0].id, (effect_id{"agents/probe/conv-2", 1, 0}));
}

TEST(AgentEffects, ANodeKeysItsTokensSoAClientCannotWorkOutTheCorrOfACall) {
  const auto name = effect_id{"agents/probe/c", 1, 0}.name();
  EXPECT_EQ(effect_token(name, ""), effect_token(name));
  EXPECT_NE(effect_token(name, "k1"), effect_token(name));
  EXPECT_NE(effect_token(name, "k1"), effect_token(name, "k2"));
  EXPECT_EQ(effect_token(name, "k1").size(), 43u);

  // An engine with a key puts the keyed token in the job, the same on every rebuild.
  for (int run = 0; run < 2; ++run) {
    detail::session_engine e{std::make_unique<detail::kind_binding<probe>>(), "c", {}, "k1"};
    auto body = pack(ask{"q"});
    auto data = detail::encode_inbox({.type = std::string{ask::type}, .body = body});
    auto out = e.handle({1, 1000, data}, false);
    auto it = std::find_if(out.effects.begin(), out.effects.end(),
                           [](const auto& x) { return x.kind == detail::effect::what::job; });
    ASSERT_NE(it, out.effects.end());
    auto job = nlohmann::json::parse(switchyard::protocol::msgpack_to_json(it->data));
    EXPECT_EQ(job["corr"], effect_token(name, "k1")) << "run " << run;
  }
}

TEST(AgentEffects, AJobCarriesTheContractsEnvelope) {
  kit k{"c"};
  k.send(ask{"what is lmdb"}, "turn-1");
  auto jobs = k.calls("llm");
  ASSERT_EQ(jobs.size(), 1u);
  EXPECT_EQ(jobs[0].type, "test.answer");
  EXPECT_EQ(jobs[0].tag, "q");
  EXPECT_EQ(jobs[0].stream_to, "agents/probe/c/out");
  EXPECT_EQ(jobs[0].as<answer>().text, "what is lmdb");
  auto job = nlohmann::json::parse(switchyard::protocol::msgpack_to_json(jobs[0].data));
  EXPECT_EQ(job["type"], "test.answer");
  EXPECT_EQ(job["corr"], jobs[0].id.token());
  EXPECT_EQ(job["reply_to"], "agents/probe/c");
  EXPECT_EQ(job["stream_to"], "agents/probe/c/out");
  EXPECT_EQ(job["deadline_ms"], k.now_ms() + 30'000);
  EXPECT_EQ(job["turn"], "turn-1");
  EXPECT_EQ(job["body"]["text"], "what is lmdb");
}

TEST(AgentEnvelope, DecodesWhatAJsonClientSendsAndRefusesWhatItDoesNotKnow) {
  std::string error;
  auto data = switchyard::protocol::json_to_msgpack(
      R"({"type":"test.ask","turn":"t1","body":{"text":"x"}})");
  ASSERT_TRUE(data);
  auto env = detail::decode_inbox(*data, error);
  ASSERT_TRUE(env) << error;
  EXPECT_EQ(env->type, "test.ask");
  EXPECT_EQ(env->turn, "t1");
  EXPECT_EQ(unpack<ask>(env->body).text, "x");

  auto unknown = switchyard::protocol::json_to_msgpack(R"({"type":"a","colour":"red"})");
  EXPECT_FALSE(detail::decode_inbox(*unknown, error));
  EXPECT_NE(error.find("colour"), std::string::npos) << error;
  auto untyped = switchyard::protocol::json_to_msgpack(R"({"body":1})");
  EXPECT_FALSE(detail::decode_inbox(*untyped, error));
  EXPECT_NE(error.find("type"), std::string::npos) << error;
  EXPECT_FALSE(detail::decode_inbox(*switchyard::protocol::json_to_msgpack("[1,2]"), error));
  EXPECT_FALSE(detail::decode_inbox("\xc1", error));

  // Round trip of what the runtime writes.
  detail::inbox_envelope out{.type = "reply",
                             .turn = "t",
                             .body = pack(answer{"a"}),
                             .corr = "c1",
                             .reply_to = "agents/k/s",
                             .hops = 3};
  auto back = detail::decode_inbox(detail::encode_inbox(out), error);
  ASSERT_TRUE(back) << error;
  EXPECT_EQ(back->corr, "c1");
  EXPECT_EQ(back->reply_to, "agents/k/s");
  EXPECT_EQ(back->hops, 3u);
  EXPECT_EQ(unpack<answer>(back->body).text, "a");
}

TEST(AgentRouting, AReplyComesBackAsALaterInboxEventWithItsTag) {
  kit k{"c", {.crash_after_every_event = true}};
  k.send(ask{"q1"});
  auto jobs = k.calls("llm");
  ASSERT_EQ(jobs.size(), 1u);
  k.reply(jobs[0].id, answer{"a1"});
  EXPECT_EQ(seen(k), (std::vector<std::string>{"ask:q1", "reply:q:a1"}));
  auto out = k.emits("agents/probe/c/out");
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].as<answer>().text, "a1");
  EXPECT_EQ(out[0].token, (effect_id{"agents/probe/c", 2, 0}.token()));

  // A worker that answers twice (at-least-once) lands once.
  k.reply(jobs[0].id, answer{"again"});
  EXPECT_EQ(seen(k).size(), 2u);
  EXPECT_EQ(k.inbox_size(), 2u);
}

TEST(AgentRouting, AReplyAfterItsTimeoutIsDroppedBeforeAndAfterRecovery) {
  kit k{"c"};
  k.send(ask{"slow"});
  auto jobs = k.calls("llm");
  k.advance(29s);
  EXPECT_EQ(seen(k).size(), 1u);
  k.advance(1s);
  ASSERT_EQ(seen(k).size(), 2u);
  EXPECT_TRUE(seen(k)[1].starts_with("failed:timeout:")) << seen(k)[1];
  k.reply(jobs[0].id, answer{"too late"});
  EXPECT_EQ(seen(k).size(), 2u);
  k.crash_and_recover();
  EXPECT_EQ(seen(k).size(), 2u);
  EXPECT_TRUE(k.emits().empty());
  EXPECT_TRUE(k.calls().empty()); // replay re-ran nothing
}

TEST(AgentRouting, AnErrorAnswerIsCallFailedWithTheWorkersText) {
  kit k{"c"};
  k.send(ask{"q"});
  k.fail(k.calls("llm").at(0).id, "model overloaded");
  EXPECT_EQ(seen(k).back(), "failed:error:model overloaded");
}

TEST(AgentTimers, ATimerFiresAtItsTimeSurvivesACrashAndACancelledOneNeverFires) {
  kit k{"c"};
  k.send(arm{5000});
  k.send(arm{1000, true});
  k.crash_and_recover();
  k.advance(4999ms);
  EXPECT_EQ(seen(k), (std::vector<std::string>{"armed", "armed"}));
  k.crash_and_recover();
  k.advance(1ms);
  EXPECT_EQ(seen(k).back(), "wake:armed at 1");
  k.advance(1h);
  EXPECT_EQ(seen(k).size(), 3u);
  EXPECT_EQ(k.inbox_size(), 3u); // the cancelled timer put nothing in the inbox
}

TEST(AgentCancel, ACancelledTurnDropsItsAnswersAndTellsTheSessionsItCalled) {
  kit k{"c"};
  k.send(ask{"q", "agent:helper/h1"}, "t1");
  auto req = k.calls("agents/helper");
  ASSERT_EQ(req.size(), 1u);
  k.send(ask{"other"}, "t2");
  auto other = k.calls("llm");
  k.cancel("t1", "stop button");
  EXPECT_EQ(seen(k).back(), "cancelled:t1");
  auto told = k.sends("agents/helper/h1");
  ASSERT_EQ(told.size(), 1u);
  EXPECT_EQ(told[0].type, "cancel_turn");
  EXPECT_EQ(told[0].as<cancel_turn>().reason, "stop button");
  k.reply(req[0].id, answer{"after cancel"});
  EXPECT_EQ(seen(k).back(), "cancelled:t1");
  k.reply(other.at(0).id, answer{"t2 goes on"});
  EXPECT_EQ(seen(k).back(), "reply:q:t2 goes on");
  k.crash_and_recover();
}

TEST(AgentBounds, ACallChainPastMaxHopsFailsInsteadOfLooping) {
  kit k{"c", {.kind = {.max_hops_per_turn = 2}}};
  // A request from another session two hops deep: this session's own call would be hop 3.
  auto data = detail::encode_inbox({.type = "test.ask",
                                    .turn = "t",
                                    .body = pack(ask{"loop", "agent:probe/c2"}),
                                    .corr = "x",
                                    .reply_to = "agents/probe/c0",
                                    .hops = 2});
  k.send_raw(data);
  EXPECT_TRUE(k.calls().empty());
  ASSERT_EQ(seen(k).size(), 2u);
  EXPECT_EQ(seen(k)[1], "failed:error:max_hops_per_turn (2) reached");
}

TEST(AgentBounds, AFanOutOverItsWidthIsDeadLetteredAndTheSessionGoesOn) {
  kit k{"c", {.kind = {.max_fan_out = 3}}};
  k.send(spread{4});
  auto dead = k.dead_letters();
  ASSERT_EQ(dead.size(), 1u);
  EXPECT_NE(dead[0].error.find("max_fan_out"), std::string::npos) << dead[0].error;
  EXPECT_TRUE(k.calls().empty()); // what the handler decided before the refusal is not done
  EXPECT_EQ(seen(k), (std::vector<std::string>{"poisoned:1:test.spread"}));
  k.send(ask{"next"});
  EXPECT_EQ(k.calls("llm").size(), 1u);
}

TEST(AgentBounds, AStateOverMaxStateBytesFailsTheSnapshotLoudly) {
  kit k{"c", {.kind = {.snapshot_every = 1, .max_state_bytes = 1000}}};
  k.send(grow{500});
  EXPECT_THROW(k.send(grow{2000}), effect_refused);
}

TEST(AgentPoison, AnEventThatKeepsCrashingIsDeadLetteredAndThePoisonedHandlerRuns) {
  boom_runs.clear();
  kit k{"c"};
  k.send(boom{1}); // crashes once, then succeeds on the retry
  EXPECT_EQ(seen(k), (std::vector<std::string>{"survived"}));
  EXPECT_TRUE(k.dead_letters().empty());

  k.send(boom{100});
  EXPECT_EQ(boom_runs[2], 3u); // kind_options::max_crashes_per_event
  auto dead = k.dead_letters();
  ASSERT_EQ(dead.size(), 1u);
  EXPECT_EQ(dead[0].seq, 2u);
  EXPECT_EQ(dead[0].error, "boom 3");
  EXPECT_EQ(seen(k).back(), "poisoned:2:test.boom");
  k.send(ask{"goes on"});
  EXPECT_EQ(k.calls("llm").size(), 1u);
  k.crash_and_recover(); // the poisoned event is not retried by replay
}

TEST(AgentPoison, UnknownTypesBadBodiesAndReservedTypesAreDeadLetteredAtOnce) {
  kit k{"c"};
  k.send(answer{"nobody handles a bare answer"});
  k.send_raw(*switchyard::protocol::json_to_msgpack(R"({"type":"test.ask","body":{"text":7}})"));
  k.send_raw(*switchyard::protocol::json_to_msgpack(R"({"type":"reply:test.answer","body":{}})"));
  k.send_raw(*switchyard::protocol::json_to_msgpack(R"({"type":"test.ask","colour":"red"})"));
  auto dead = k.dead_letters();
  ASSERT_EQ(dead.size(), 4u);
  EXPECT_NE(dead[0].error.find("no handler for 'test.answer'"), std::string::npos) << dead[0].error;
  EXPECT_NE(dead[1].error.find("is not a test.ask"), std::string::npos) << dead[1].error;
  EXPECT_NE(dead[2].error.find("reserved"), std::string::npos) << dead[2].error;
  EXPECT_NE(dead[3].error.find("colour"), std::string::npos) << dead[3].error;
  EXPECT_EQ(seen(k).size(), 4u);
  k.crash_and_recover();
}

TEST(AgentFanOut, AJoinCompletesWithAllAnswersOrAtItsDeadlineWithTheMissingOnesEmpty) {
  kit k{"c", {.crash_after_every_event = true}};
  k.send(spread{3});
  auto kids = k.calls("agents/probe");
  ASSERT_EQ(kids.size(), 3u);
  EXPECT_EQ(kids[0].to, "agents/probe/c.1.0");
  EXPECT_EQ(kids[2].to, "agents/probe/c.1.2");
  k.reply(kids[0].id, answer{"A"});
  k.fail(kids[1].id, "gave up");
  EXPECT_EQ(seen(k).back(), "spread");
  k.advance(10s);
  EXPECT_EQ(seen(k).back(), "joined:parts:A--");
  k.reply(kids[2].id, answer{"late"});
  EXPECT_EQ(seen(k).back(), "joined:parts:A--");

  k.send(spread{3, 2});
  kids = k.calls("agents/probe");
  k.reply(kids[2].id, answer{"Z"});
  k.reply(kids[0].id, answer{"X"});
  EXPECT_EQ(seen(k).back(), "joined:parts:X-Z"); // the quorum of 2 is enough
}

TEST(AgentReplay, AKindThatDecidesDifferentlyOnReplayIsCaught) {
  test_kit<drifting> k{"c"};
  k.send(wake{});
  EXPECT_THROW(k.crash_and_recover(), std::logic_error);
}

TEST(AgentReplay, ASnapshotOfAnotherKindVersionIsNotRestored) {
  detail::session_engine v1{std::make_unique<detail::kind_binding<probe>>(), "c", {.version = 1}};
  detail::session_engine v2{std::make_unique<detail::kind_binding<probe>>(), "c", {.version = 2}};
  auto snap = v1.snapshot();
  EXPECT_TRUE(v1.restore(snap));
  EXPECT_FALSE(v2.restore(snap));
  EXPECT_FALSE(v2.restore("not a snapshot"));
}

} // namespace
