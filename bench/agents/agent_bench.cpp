// switchyard-agent-bench: agent sessions on one in-process node (Release build), measured
// end to end: events are appended to session inboxes through the node's topics (as a
// publish is), each session handles its own, and the clock stops when every session has
// answered its last event (an emit to `bench/done`).
//
//   switchyard-agent-bench [--sessions N] [--events E] [--passivated P] [--recovery R]
//                          [--echo-sessions M] [--echo-events F]
//   (P, R or M 0: that measurement is skipped)
//
// Prints one JSON line per measurement:
//   throughput  E events through N sessions (events/s), RSS per live session
//   effects     F events through M sessions of a kind that emits one event to its out
//               topic per event handled (events/s): the session waits for each publish
//   passivated  P sessions that handled one event each and passivated: RSS per session,
//               sessions still running
//   recovery    a session with R handled inbox events passivates (checkpoint with a
//               snapshot); its next event brings it back: ms until it answered
//   replay      the node restarts with a session whose R handled events are all after
//               its snapshot (as after a crash before the next one): its next event makes
//               it replay them with effects suppressed, checking every decision digest,
//               then answer: ms from the publish
#include "actors/interfaces.hpp"
#include "actors/node_context.hpp"
#include "actors/registry.hpp"
#include "runtime/node.hpp"
#include "store/event_store.hpp"

#include <chrono>
#include <cstdio>
#include <deque>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>

#include <caf/all.hpp>
#include <switchyard/agents.hpp>
#include <switchyard/agents/detail/envelope.hpp>
#include <switchyard/agents/detail/kind_entry.hpp>
#include <unistd.h>

namespace {

namespace ag = switchyard::agents;
using namespace std::chrono_literals;
using clock_type = std::chrono::steady_clock;

struct add {
  static constexpr std::string_view type = "tally.add";
  std::int64_t n = 0;
  MSGPACK_DEFINE_MAP(n)
};
struct done {
  static constexpr std::string_view type = "tally.done";
  std::int64_t total = 0;
  MSGPACK_DEFINE_MAP(total)
};

/// Adds up what it is sent; answers `done` with the total to bench/done.
struct tally {
  static constexpr std::string_view name = "tally";
  struct state {
    std::int64_t total = 0;
    MSGPACK_DEFINE_MAP(total)
  };
  using events = ag::handles<add, done>;
  static void on(state& s, const add& a, ag::context&) { s.total += a.n; }
  static void on(state& s, const done&, ag::context& ctx) { ctx.emit("bench/done", done{s.total}); }
};

/// Like tally, with an effect per event: each add is emitted again to its out topic.
struct echo {
  static constexpr std::string_view name = "echo";
  struct state {
    std::int64_t total = 0;
    MSGPACK_DEFINE_MAP(total)
  };
  using events = ag::handles<add, done>;
  static void on(state& s, const add& a, ag::context& ctx) {
    s.total += a.n;
    ctx.emit(ctx.out(), a);
  }
  static void on(state& s, const done&, ag::context& ctx) { ctx.emit("bench/done", done{s.total}); }
};

/// Anonymous resident memory (RssAnon): the heap and stacks, not the store's file pages
/// that LMDB's map brings in (the kernel drops those under pressure).
double rss_mib() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.starts_with("RssAnon:"))
      return std::stod(line.substr(8)) / 1024; // kB
  }
  return 0;
}

struct bench_node {
  std::filesystem::path dir;
  std::unique_ptr<switchyard::runtime::node> node;
  switchyard::actors::node_context* ctx = nullptr;

  std::chrono::milliseconds idle;
  std::uint32_t snapshot_every;

  explicit bench_node(std::chrono::milliseconds idle_, std::uint32_t snapshot_every_ = 200)
      : idle{idle_}, snapshot_every{snapshot_every_} {
    dir = std::filesystem::temp_directory_path() /
          ("sy-agent-bench-" + std::to_string(::getpid()) + "-" + std::to_string(idle.count()));
    std::filesystem::remove_all(dir);
    start();
  }
  ~bench_node() {
    node->stop();
    node.reset();
    std::filesystem::remove_all(dir);
  }

  void start() {
    switchyard::runtime::node_config cfg;
    cfg.server.port = 0;
    cfg.store.data_dir = dir.string();
    cfg.log_level = "warn";
    cfg.topics.max_live = 200'000;
    cfg.topics.idle_ms = idle.count(); // inbox topics stop with their sessions
    const ag::kind_options opts{.idle = idle, .snapshot_every = snapshot_every};
    cfg.agent_kinds = {
        std::make_shared<const ag::detail::kind_entry>(ag::detail::make_kind_entry<tally>(opts)),
        std::make_shared<const ag::detail::kind_entry>(ag::detail::make_kind_entry<echo>(opts))};
    node = std::make_unique<switchyard::runtime::node>(cfg);
    std::string error;
    if (!node->start(error)) {
      std::fprintf(stderr, "agent-bench: %s\n", error.c_str());
      std::exit(1);
    }
    ctx = &node->context();
  }

  /// Stops the node and starts it again on the same store.
  void restart() {
    node->stop();
    node.reset();
    start();
  }

  /// Waits until the store has the session's checkpoint at `seq` or later.
  void wait_applied(std::size_t session, std::uint64_t seq) {
    for (int i = 0; i < 10'000; ++i) {
      std::optional<switchyard::store::agent_record> rec;
      ctx->store->load_agent("default", "agents/tally/s" + std::to_string(session), rec);
      if (rec && rec->progress.applied_seq >= seq)
        return;
      std::this_thread::sleep_for(1ms);
    }
  }

  /// Appends each session's events to its inbox: `per_session` adds then one done.
  /// Requests go out together (group commit), at most 4096 events unanswered (under
  /// topics.max_pending for one topic).
  void feed(std::size_t first, std::size_t sessions, std::size_t per_session,
            std::string_view kind = "tally") {
    using namespace switchyard::actors;
    caf::scoped_actor self{*ctx->system};
    auto registry = caf::actor_cast<registry_actor>(ctx->registry);
    const auto add_data = ag::detail::encode_inbox({.type = "tally.add", .body = ag::pack(add{1})});
    const auto done_data =
        ag::detail::encode_inbox({.type = "tally.done", .body = ag::pack(done{})});
    using handle = decltype(self->request(std::declval<topic_actor>(), caf::infinite,
                                          publish_atom::value, publish_batch_ptr{}));
    std::deque<std::pair<handle, std::size_t>> unanswered;
    std::size_t in_flight = 0;
    auto wait_one = [&] {
      unanswered.front().first.receive([](const publish_acks&) {},
                                       [](caf::error& e) {
                                         std::fprintf(stderr, "agent-bench: publish: %s\n",
                                                      to_string(e).c_str());
                                         std::exit(1);
                                       });
      in_flight -= unanswered.front().second;
      unanswered.pop_front();
    };
    for (std::size_t s = first; s < first + sessions; ++s) {
      topic_actor topic;
      self->request(registry, caf::infinite, lookup_atom::value,
                    topic_key("default", "agents/" + std::string{kind} + "/s" + std::to_string(s)))
          .receive([&](const topic_actor& t) { topic = t; },
                   [](caf::error& e) {
                     std::fprintf(stderr, "agent-bench: lookup: %s\n", to_string(e).c_str());
                     std::exit(1);
                   });
      for (std::size_t sent = 0; sent <= per_session;) {
        auto batch = std::make_shared<publish_batch>();
        for (; sent < per_session && batch->events.size() < 512; ++sent)
          batch->events.push_back({add_data, "", "", 0});
        if (sent == per_session && batch->events.size() < 512) {
          batch->events.push_back({done_data, "", "", 0});
          ++sent;
        }
        const auto n = batch->events.size();
        unanswered.emplace_back(self->request(topic, caf::infinite, publish_atom::value, batch), n);
        in_flight += n;
        while (in_flight >= 4096)
          wait_one();
      }
    }
    while (!unanswered.empty())
      wait_one();
  }

  std::uint64_t done_count() const {
    switchyard::store::topic_info info;
    ctx->store->info("default", "bench/done", info);
    return info.last_seq;
  }

  bool wait_done(std::uint64_t want, std::chrono::seconds limit) {
    const auto until = clock_type::now() + limit;
    while (done_count() < want) {
      if (clock_type::now() > until)
        return false;
      std::this_thread::sleep_for(2ms);
    }
    return true;
  }

  std::uint64_t live_sessions() {
    caf::scoped_actor self{*ctx->system};
    std::uint64_t n = 0;
    self->request(ctx->agent_sessions, caf::infinite, switchyard::actors::count_atom::value)
        .receive([&](std::uint64_t c) { n = c; }, [](caf::error&) {});
    return n;
  }
};

std::size_t arg(int argc, char** argv, const char* name, std::size_t fallback) {
  for (int i = 1; i + 1 < argc; ++i)
    if (std::string_view{argv[i]} == name)
      return std::stoul(argv[i + 1]);
  return fallback;
}

} // namespace

int main(int argc, char** argv) {
  const auto sessions = arg(argc, argv, "--sessions", 10'000);
  const auto events = arg(argc, argv, "--events", 200'000);
  const auto passivated = arg(argc, argv, "--passivated", 100'000);
  const auto recovery = arg(argc, argv, "--recovery", 1000);
  const auto echo_sessions = arg(argc, argv, "--echo-sessions", 0);
  const auto echo_events = arg(argc, argv, "--echo-events", 50'000);

  {
    bench_node b{10min};
    const auto base = rss_mib();
    const auto t0 = clock_type::now();
    b.feed(0, sessions, events / sessions);
    const bool ok = b.wait_done(sessions, 600s);
    const double secs = std::chrono::duration<double>(clock_type::now() - t0).count();
    const auto live = b.live_sessions();
    std::printf(
        "{\"measure\":\"throughput\",\"sessions\":%zu,\"events\":%zu,\"ok\":%s,\"seconds\":%.3f,"
        "\"events_per_s\":%.0f,\"live_sessions\":%lu,\"rss_mib\":%.1f,\"kib_per_live_session\":%."
        "2f}\n",
        sessions, (events / sessions + 1) * sessions, ok ? "true" : "false", secs,
        static_cast<double>((events / sessions + 1) * sessions) / secs, live, rss_mib(),
        (rss_mib() - base) * 1024 / static_cast<double>(live ? live : 1));
    std::fflush(stdout);
  }
  if (echo_sessions > 0) {
    bench_node b{10min};
    const auto per_session = echo_events / echo_sessions;
    const auto t0 = clock_type::now();
    b.feed(0, echo_sessions, per_session, "echo");
    const bool ok = b.wait_done(echo_sessions, 600s);
    const double secs = std::chrono::duration<double>(clock_type::now() - t0).count();
    const auto total = (per_session + 1) * echo_sessions;
    std::printf("{\"measure\":\"effects\",\"sessions\":%zu,\"events\":%zu,\"ok\":%s,"
                "\"seconds\":%.3f,\"events_per_s\":%.0f}\n",
                echo_sessions, total, ok ? "true" : "false", secs,
                static_cast<double>(total) / secs);
    std::fflush(stdout);
  }
  if (passivated > 0) {
    bench_node b{1s};
    const auto base = rss_mib();
    const auto t0 = clock_type::now();
    b.feed(0, passivated, 0);
    const bool ok = b.wait_done(passivated, 900s);
    const double secs = std::chrono::duration<double>(clock_type::now() - t0).count();
    for (int i = 0; i < 60 && b.live_sessions() > 0; ++i)
      std::this_thread::sleep_for(1s);
    std::printf("{\"measure\":\"passivated\",\"sessions\":%zu,\"ok\":%s,\"seconds\":%.3f,"
                "\"still_live\":%lu,\"rss_mib\":%.1f,\"kib_per_passivated_session\":%.3f}\n",
                passivated, ok ? "true" : "false", secs, b.live_sessions(), rss_mib(),
                (rss_mib() - base) * 1024 / static_cast<double>(passivated));
    std::fflush(stdout);
  }
  if (recovery > 0) {
    bench_node b{1s};
    b.feed(0, 1, recovery);
    b.wait_done(1, 120s);
    for (int i = 0; i < 60 && b.live_sessions() > 0; ++i)
      std::this_thread::sleep_for(500ms);
    const auto t0 = clock_type::now();
    b.feed(0, 1, 0); // one more event: the session starts and rebuilds from its inbox
    const bool ok = b.wait_done(2, 120s);
    const double ms = std::chrono::duration<double, std::milli>(clock_type::now() - t0).count();
    std::printf("{\"measure\":\"recovery\",\"inbox_events\":%zu,\"ok\":%s,\"ms\":%.1f}\n",
                recovery + 2, ok ? "true" : "false", ms);
    std::fflush(stdout);
  }
  if (recovery > 0) {
    bench_node b{10min, static_cast<std::uint32_t>(recovery * 10)};
    b.feed(0, 1, recovery);
    b.wait_done(1, 120s);
    b.wait_applied(0, recovery + 1);
    b.restart();
    const auto t0 = clock_type::now();
    b.feed(0, 1, 0); // one more event: the session replays the others, then answers
    const bool ok = b.wait_done(2, 120s);
    const double ms = std::chrono::duration<double, std::milli>(clock_type::now() - t0).count();
    std::printf("{\"measure\":\"replay\",\"inbox_events\":%zu,\"ok\":%s,\"ms\":%.1f,"
                "\"ms_per_1000_events\":%.1f,\"divergences\":%lu}\n",
                recovery + 2, ok ? "true" : "false", ms,
                ms * 1000 / static_cast<double>(recovery + 2),
                static_cast<unsigned long>(b.ctx->metrics.agent_divergences_total.load()));
  }
  return 0;
}
