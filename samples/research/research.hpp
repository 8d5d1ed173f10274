#pragma once
// The research workflow: a browser publishes a prompt to agents/research/<conv>; the
// planner asks the LLM worker group for sub-questions, fans them out to researcher
// sessions (each asks the LLM), joins their notes and has the writer session write the
// report, whose tokens the worker streams straight to agents/research/<conv>/out.

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <switchyard/agents.hpp>

namespace research {

using namespace switchyard::agents;
using namespace std::chrono_literals;

// -- wire types: `type` names them in inboxes and on the wire --
struct prompt {
  static constexpr std::string_view type = "research.prompt";
  std::string text;
  MSGPACK_DEFINE_MAP(text)
};
struct llm_req {
  static constexpr std::string_view type = "llm.request";
  std::string system, user;
  bool stream = false;
  MSGPACK_DEFINE_MAP(system, user, stream)
};
struct llm_out {
  static constexpr std::string_view type = "llm.response";
  std::string text;
  std::vector<std::string> items;
  MSGPACK_DEFINE_MAP(text, items)
};
struct task {
  static constexpr std::string_view type = "research.task";
  std::string question;
  MSGPACK_DEFINE_MAP(question)
};
struct note {
  static constexpr std::string_view type = "research.note";
  std::string question, text;
  bool ok = true;
  MSGPACK_DEFINE_MAP(question, text, ok)
};
struct draft {
  static constexpr std::string_view type = "research.draft";
  std::string question, out;
  std::vector<note> notes;
  MSGPACK_DEFINE_MAP(question, out, notes)
};
struct status {
  static constexpr std::string_view type = "ui.status";
  std::string phase, detail;
  MSGPACK_DEFINE_MAP(phase, detail)
};
struct report {
  static constexpr std::string_view type = "research.report";
  std::string text;
  MSGPACK_DEFINE_MAP(text)
};

/// One session per sub-question (key "<conv>.<seq>.<i>"): asks the LLM, answers a note.
struct researcher {
  static constexpr std::string_view name = "researcher";
  struct state {
    std::string question;
    MSGPACK_DEFINE_MAP(question)
  };
  using events = handles<task, reply<llm_out>, call_failed>;
  static void on(state& s, const task& t, context& ctx) {
    s.question = t.question;
    ctx.call<llm_out>(target::group("llm"), llm_req{"Answer with cited facts.", t.question},
                      {.timeout = 60s, .tag = "answer"});
  }
  static void on(state& s, const reply<llm_out>& r, context& ctx) {
    ctx.complete(note{s.question, r.value.text});
  }
  static void on(state& s, const call_failed& f, context& ctx) {
    ctx.complete(note{s.question, f.detail, false});
  }
};

/// Writes the report from the notes; the LLM streams its tokens to the draft's `out`.
struct writer {
  static constexpr std::string_view name = "writer";
  struct state {
    std::uint32_t drafts = 0;
    MSGPACK_DEFINE_MAP(drafts)
  };
  using events = handles<draft, reply<llm_out>, call_failed>;
  static void on(state& s, const draft& d, context& ctx) {
    std::string user = d.question;
    for (const auto& n : d.notes)
      user += "\n- " + n.text;
    ++s.drafts;
    ctx.call<llm_out>(target::group("llm"), llm_req{"Write a short sourced report.", user, true},
                      {.timeout = 120s, .tag = "write", .stream_to = d.out});
  }
  static void on(state&, const reply<llm_out>& r, context& ctx) {
    ctx.complete(report{r.value.text});
  }
  static void on(state&, const call_failed& f, context& ctx) {
    ctx.complete(report{"(no report: " + f.detail + ")"});
  }
};

/// One session per conversation: plan, research, write; one question at a time.
struct planner {
  static constexpr std::string_view name = "research";
  enum class phase { idle, planning, researching, writing };
  struct state {
    phase at = phase::idle;
    std::string question;
    std::uint32_t turns = 0;
    MSGPACK_DEFINE_MAP(at, question, turns)
  };
  using events =
      handles<prompt, reply<llm_out>, joined<note>, reply<report>, call_failed, cancel_turn>;
  static constexpr std::size_t max_tasks = 5;

  static void on(state& s, const prompt& p, context& ctx) {
    if (s.at != phase::idle) {
      ctx.emit(ctx.out(), status{"busy", "one question at a time"});
      return;
    }
    s = {phase::planning, p.text, s.turns + 1};
    ctx.emit(ctx.out(), status{"planning", p.text});
    ctx.call<llm_out>(target::group("llm"), llm_req{"Split into at most 5 sub-questions.", p.text},
                      {.timeout = 30s, .tag = "plan"});
  }
  static void on(state& s, const reply<llm_out>& plan, context& ctx) {
    std::vector<task> tasks; // the model's answer is an inbox event: replay reads it again
    for (const auto& q : plan.value.items)
      if (tasks.size() < max_tasks) // bound the fan-out whatever the model says
        tasks.push_back({q});
    s.at = phase::researching;
    ctx.emit(ctx.out(), status{"researching", std::to_string(tasks.size()) + " sub-questions"});
    ctx.fan_out<note>("researcher", tasks, {.deadline = 120s, .quorum = 0, .tag = "notes"});
  }
  static void on(state& s, const joined<note>& j, context& ctx) {
    draft d{s.question, ctx.out(), {}};
    for (const auto& n : j.results)
      if (n && n->ok) // silent or failed researchers are left out
        d.notes.push_back(*n);
    s.at = phase::writing;
    ctx.emit(ctx.out(), status{"writing", std::to_string(d.notes.size()) + " notes"});
    ctx.call<report>(target::agent("writer", ctx.key()), d, {.timeout = 180s, .tag = "report"});
  }
  static void on(state& s, const reply<report>& r, context& ctx) {
    ctx.emit(ctx.out(), r.value); // the final text: late joiners read this, not the tokens
    s.at = phase::idle;
  }
  static void on(state& s, const call_failed& f, context& ctx) {
    ctx.emit(ctx.out(), status{"failed", f.tag + ": " + f.detail});
    s.at = phase::idle;
  }
  static void on(state& s, const cancel_turn& c, context& ctx) {
    // The runtime already cancelled the turn's calls, its researchers and the writer.
    ctx.emit(ctx.out(), status{"cancelled", c.reason});
    s.at = phase::idle;
  }
};

} // namespace research

MSGPACK_ADD_ENUM(research::planner::phase);
