// The research sample's kinds under test_kit, each crashed and recovered after every
// event: the workflow must come out the same as without crashes, with no effect twice.

#include "samples/research/research.hpp"

#include <gtest/gtest.h>
#include <switchyard/agents/test_kit.hpp>

namespace {

using namespace research;
using switchyard::agents::test_kit;
using switchyard::agents::test_kit_options;

constexpr test_kit_options crash_everywhere{.crash_after_every_event = true};

std::vector<std::string> phases(const std::vector<switchyard::agents::emitted>& out) {
  std::vector<std::string> got;
  for (const auto& e : out)
    got.push_back(e.type == status::type ? e.as<status>().phase : std::string{e.type});
  return got;
}

TEST(ResearchPlanner, PlansFansOutJoinsAndWritesSurvivingACrashAfterEveryEvent) {
  test_kit<planner> k{"conv-1", crash_everywhere};
  k.send(prompt{"Compare LMDB and RocksDB"}, "turn-1");
  auto plan = k.calls("llm");
  ASSERT_EQ(plan.size(), 1u);
  EXPECT_EQ(plan[0].tag, "plan");
  k.reply(plan[0].id, llm_out{"", {"LMDB?", "RocksDB?", "a", "b", "c", "d", "e"}});
  auto kids = k.calls("agents/researcher");
  ASSERT_EQ(kids.size(), planner::max_tasks); // bounded whatever the model says
  EXPECT_EQ(kids[0].to, "agents/researcher/conv-1.2.0");
  EXPECT_EQ(kids[0].as<task>().question, "LMDB?");
  k.reply(kids[0].id, note{"LMDB?", "B+tree, single writer"});
  k.reply(kids[1].id, note{"RocksDB?", "LSM tree"});
  k.reply(kids[2].id, note{"a", "failed", false});
  k.advance(121s); // the other two researchers never answer
  auto w = k.calls("agents/writer");
  ASSERT_EQ(w.size(), 1u);
  EXPECT_EQ(w[0].to, "agents/writer/conv-1");
  auto d = w[0].as<draft>();
  EXPECT_EQ(d.notes.size(), 2u);
  EXPECT_EQ(d.out, "agents/research/conv-1/out");
  EXPECT_EQ(k.state().at, planner::phase::writing);
  k.reply(w[0].id, report{"LMDB reads faster; RocksDB writes faster."});
  EXPECT_EQ(k.state().at, planner::phase::idle);
  auto out = k.emits("agents/research/conv-1/out");
  EXPECT_EQ(phases(out), (std::vector<std::string>{"planning", "researching", "writing",
                                                   std::string{report::type}}));
  EXPECT_EQ(out.back().as<report>().text, "LMDB reads faster; RocksDB writes faster.");
  for (const auto& e : out)
    EXPECT_EQ(e.turn, "turn-1");
  EXPECT_TRUE(k.calls().empty());
  EXPECT_TRUE(k.dead_letters().empty());
}

TEST(ResearchPlanner, OneQuestionAtATimeAndAFailedPlanEndsTheTurn) {
  test_kit<planner> k{"conv-2", crash_everywhere};
  k.send(prompt{"first"}, "t1");
  k.send(prompt{"second"}, "t2");
  EXPECT_EQ(phases(k.emits()), (std::vector<std::string>{"planning", "busy"}));
  k.advance(30s); // the plan call times out
  auto out = k.emits();
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].as<status>().phase, "failed");
  EXPECT_NE(out[0].as<status>().detail.find("plan: no answer"), std::string::npos);
  EXPECT_EQ(k.state().at, planner::phase::idle);
}

TEST(ResearchPlanner, CancelStopsTheTurnAndTellsTheResearchers) {
  test_kit<planner> k{"conv-3", crash_everywhere};
  k.send(prompt{"q"}, "t1");
  k.reply(k.calls("llm").at(0).id, llm_out{"", {"x", "y"}});
  auto kids = k.calls("agents/researcher");
  ASSERT_EQ(kids.size(), 2u);
  k.emits();
  k.cancel("t1", "stop button");
  EXPECT_EQ(phases(k.emits()), (std::vector<std::string>{"cancelled"}));
  EXPECT_EQ(k.sends("agents/researcher").size(), 2u); // each child hears of the cancel
  k.reply(kids[0].id, note{"x", "late"});
  k.advance(10min);
  EXPECT_TRUE(k.emits().empty());
  EXPECT_TRUE(k.calls().empty());
  EXPECT_EQ(k.state().at, planner::phase::idle);
  k.send(prompt{"again"}, "t2");
  EXPECT_EQ(k.calls("llm").size(), 1u);
}

TEST(ResearchResearcher, AsksTheLlmAndAnswersItsCallerWithANote) {
  test_kit<researcher> k{"conv-1.2.0", crash_everywhere};
  k.request(task{"LMDB?"}, "t1");
  auto ask = k.calls("llm");
  ASSERT_EQ(ask.size(), 1u);
  EXPECT_EQ(ask[0].as<llm_req>().user, "LMDB?");
  k.reply(ask[0].id, llm_out{"a B+tree", {}});
  auto answers = k.replies();
  ASSERT_EQ(answers.size(), 1u);
  EXPECT_EQ(answers[0].topic, "agents/kit/caller");
  EXPECT_EQ(answers[0].as<note>().text, "a B+tree");
  EXPECT_TRUE(answers[0].as<note>().ok);

  k.request(task{"slow?"}, "t2");
  k.advance(60s);
  auto failed = k.replies();
  ASSERT_EQ(failed.size(), 1u);
  EXPECT_FALSE(failed[0].as<note>().ok);
}

TEST(ResearchWriter, StreamsToTheDraftsOutAndAnswersWithTheReport) {
  test_kit<writer> k{"conv-1", crash_everywhere};
  k.request(
      draft{"q", "agents/research/conv-1/out", {note{"q", "fact one"}, note{"q", "fact two"}}},
      "t1");
  auto call = k.calls("llm");
  ASSERT_EQ(call.size(), 1u);
  EXPECT_EQ(call[0].stream_to, "agents/research/conv-1/out");
  auto req = call[0].as<llm_req>();
  EXPECT_TRUE(req.stream);
  EXPECT_NE(req.user.find("- fact two"), std::string::npos);
  k.reply(call[0].id, llm_out{"The report.", {}});
  auto answers = k.replies();
  ASSERT_EQ(answers.size(), 1u);
  EXPECT_EQ(answers[0].as<report>().text, "The report.");
  EXPECT_EQ(k.state().drafts, 1u);
}

} // namespace
