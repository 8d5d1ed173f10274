// Topic fanout to 100 subscriber actors in one process, without sockets: once through the
// real topic actor, store writer and registry, and once as the bare actor-message fanout
// the topic actor's deliver() does (one shared message enqueued in every mailbox).
//
// Actor systems are set up like runtime::node's (2 workers, 'sharing' policy) and are
// created and destroyed on the benchmark's thread, so CAF's thread-local logger pin on
// that thread never blocks ~actor_system.

#include "actors/interfaces.hpp"
#include "actors/node_context.hpp"
#include "actors/registry.hpp"
#include "actors/store_writer.hpp"
#include "bench/micro/payloads.hpp"
#include "bench/micro/temp_dir.hpp"
#include "store/event_store.hpp"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <limits>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <benchmark/benchmark.h>
#include <caf/all.hpp>

namespace switchyard::bench {
namespace {

using namespace std::chrono_literals;
using namespace actors;

constexpr int64_t subscriber_count = 100;
/// How long the benchmark thread waits for the actors (a look-up, subscriptions, an
/// iteration's deliveries) before it reports an error instead of hanging.
constexpr auto delivery_timeout = 10s;

/// A count that actor threads raise and the benchmark thread waits on. Only the add that
/// reaches the awaited target takes the lock, so counting stays off the measured path.
class tally {
public:
  void add(uint64_t n) {
    if (count_.fetch_add(n) + n >= target_.load()) {
      std::lock_guard lock{mutex_};
      reached_.notify_one();
    }
  }
  /// Blocks until the count is at least `target`; false when the timeout passed first.
  bool wait_for(uint64_t target) {
    std::unique_lock lock{mutex_};
    target_ = target;
    bool ok = reached_.wait_for(lock, delivery_timeout, [&] { return count_ >= target; });
    target_ = std::numeric_limits<uint64_t>::max();
    return ok;
  }

private:
  std::atomic<uint64_t> count_{0};
  std::atomic<uint64_t> target_{std::numeric_limits<uint64_t>::max()};
  std::mutex mutex_;
  std::condition_variable reached_;
};

/// A subscriber that only counts the events of the batches it receives: a connection
/// actor's fanout handler without the socket.
/// Takes the publishers' replies (publish_acks) that the benchmark does not wait for.
caf::behavior reply_sink(caf::event_based_actor*, tally* replies) {
  return {[=](const publish_acks& acks) { replies->add(acks.events.size()); },
          [=](caf::error&) { replies->add(1); }};
}

caf::behavior counting_subscriber(caf::event_based_actor*, tally* delivered) {
  return {[=](events_atom, const event_batch_ptr& batch) { delivered->add(batch->events.size()); }};
}

/// A counting subscriber that first subscribes itself (the topic takes the sender).
caf::behavior subscribing_subscriber(caf::event_based_actor* self, tally* delivered,
                                     tally* subscribed, caf::actor topic) {
  self->request(topic, caf::infinite, subscribe_atom::value, protocol::encoding::json)
      .then([=](uint64_t) { subscribed->add(1); });
  return counting_subscriber(self, delivered);
}

/// runtime::node's scheduler settings: 2 workers, and 'sharing', which wakes an idle
/// worker at once where work stealing naps between polls.
caf::actor_system_config& node_like(caf::actor_system_config& cfg) {
  cfg.set("scheduler.max-threads", size_t{2});
  cfg.set("scheduler.policy", caf::atom("sharing"));
  return cfg;
}

/// A store in a temp dir, a store writer, a registry, one topic and its subscribers.
/// Torn down like runtime::node: subscribers and topics, then the writer (it commits what
/// is pending), then every actor is awaited; the system goes before the store.
class topic_stack {
public:
  explicit topic_stack(int64_t subscribers) {
    store::store_config cfg;
    cfg.data_dir = dir_.path().string();
    store_ = store::event_store::open(cfg, error_);
    if (!store_) {
      return;
    }
    ctx_.system = &system_;
    ctx_.store = store_.get();
    writer_ = spawn_store_writer(system_, ctx_);
    registry_ = spawn_registry(system_, ctx_);
    ctx_.writer = caf::actor_cast<caf::actor>(writer_);
    ctx_.registry = caf::actor_cast<caf::actor>(registry_);
    self_.emplace(system_);
    (*self_)
        ->request(registry_, delivery_timeout, lookup_atom::value, topic_key("acme", "chat/room-1"))
        .receive([&](const topic_actor& t) { topic_ = caf::actor_cast<caf::actor>(t); },
                 [&](caf::error& e) { error_ = caf::to_string(e); });
    for (int64_t i = 0; topic_ && i < subscribers; ++i) {
      subscribers_.push_back(
          system_.spawn(subscribing_subscriber, &delivered_, &subscribed_, topic_));
    }
    if (topic_ && !subscribed_.wait_for(static_cast<uint64_t>(subscribers))) {
      error_ = "subscriptions timed out";
    }
  }

  ~topic_stack() {
    for (const auto& sub : subscribers_) {
      caf::anon_send_exit(sub, caf::exit_reason::user_shutdown);
    }
    caf::anon_send_exit(reply_sink_, caf::exit_reason::user_shutdown);
    if (self_) {
      (*self_)
          ->request(registry_, caf::infinite, shutdown_atom::value)
          .receive([](bool) {}, [](caf::error&) {});
      (*self_)->send(writer_, shutdown_atom::value);
    }
    self_.reset();
    subscribers_.clear();
    topic_ = ctx_.writer = ctx_.registry = reply_sink_ = nullptr;
    writer_ = nullptr;
    registry_ = nullptr;
    system_.await_all_actors_done();
  }

  topic_stack(const topic_stack&) = delete;
  topic_stack& operator=(const topic_stack&) = delete;

  /// Empty once the stack is up.
  const std::string& error() const { return error_; }
  tally& delivered() { return delivered_; }
  /// Store write transactions so far: with one topic, the batches it delivered.
  uint64_t commits() const { return ctx_.store_commits.load(); }

  /// Publishes `events` copies of `data` without waiting for the replies (they queue
  /// in a sink that drops them).
  void publish(int64_t events, const std::string& data) {
    for (int64_t i = 0; i < events; ++i) {
      auto one = std::make_shared<publish_batch>();
      one->events.push_back({data, "", ""});
      caf::send_as(reply_sink_, topic_, publish_atom::value, std::move(one));
    }
  }

private:
  temp_dir dir_;
  std::unique_ptr<store::event_store> store_;
  caf::actor_system_config cfg_;
  caf::actor_system system_{node_like(cfg_)};
  node_context ctx_;
  store_writer_actor writer_;
  registry_actor registry_;
  std::optional<caf::scoped_actor> self_;
  tally replies_;
  caf::actor reply_sink_ = system_.spawn(reply_sink, &replies_);
  caf::actor topic_;
  std::vector<caf::actor> subscribers_;
  tally delivered_;
  tally subscribed_;
  std::string error_;
};

/// Publishes `events` events (128-byte string data) through the real topic actor: staged,
/// appended and fsync'd by the store writer (batches form from the backlog), encoded once
/// and delivered to 100 JSON subscribers. Items are deliveries (events x subscribers);
/// `batches` is how many store commits (so subscriber messages) an iteration took on
/// average. Wall-clock, since the work is on other threads.
void BM_TopicActorFanout(benchmark::State& state) {
  const auto events = state.range(0);
  topic_stack stack{subscriber_count};
  if (!stack.error().empty()) {
    state.SkipWithError(stack.error().c_str());
    return;
  }
  const auto data = msgpack_of(json_string(text(128)));
  uint64_t expected = 0;
  for (auto _ : state) {
    stack.publish(events, data);
    expected += static_cast<uint64_t>(events * subscriber_count);
    if (!stack.delivered().wait_for(expected)) {
      state.SkipWithError("deliveries timed out");
      break;
    }
  }
  state.SetItemsProcessed(state.iterations() * events * subscriber_count);
  state.counters["batches"] =
      benchmark::Counter(static_cast<double>(stack.commits()), benchmark::Counter::kAvgIterations);
}
BENCHMARK(BM_TopicActorFanout)->ArgName("events")->Arg(1)->Arg(16)->Arg(256)->UseRealTime();

/// Relays each batch it gets to every subscriber as the topic actor's deliver() does: the
/// message is made once and the same message is enqueued in each mailbox.
caf::behavior fanout_source(caf::event_based_actor* self, std::vector<caf::actor> subscribers) {
  return {[=](events_atom, const event_batch_ptr& batch) {
    auto msg = caf::make_message(events_atom::value, batch);
    for (const auto& sub : subscribers) {
      sub->enqueue(caf::strong_actor_ptr{self->ctrl()}, caf::make_message_id(), msg,
                   self->context());
    }
  }};
}

/// The actor-message part of fanout alone: `batches` one-event batches sent to a source
/// actor that delivers each to 100 counting subscribers. Items are deliveries; one batch
/// per iteration is the latency of a round of fanout, 64 its throughput.
void BM_ActorMessageFanout(benchmark::State& state) {
  const auto batches = state.range(0);
  caf::actor_system_config cfg;
  caf::actor_system system{node_like(cfg)};
  tally delivered;
  std::vector<caf::actor> subscribers;
  for (int64_t i = 0; i < subscriber_count; ++i) {
    subscribers.push_back(system.spawn(counting_subscriber, &delivered));
  }
  auto source = system.spawn(fanout_source, subscribers);
  auto batch = std::make_shared<event_batch>();
  batch->topic = "chat/room-1";
  batch->events.push_back({1, R"({"event":"one shared encoded push"})", {}});
  const event_batch_ptr shared = std::move(batch);
  uint64_t expected = 0;
  for (auto _ : state) {
    for (int64_t i = 0; i < batches; ++i) {
      caf::anon_send(source, events_atom::value, shared);
    }
    expected += static_cast<uint64_t>(batches * subscriber_count);
    if (!delivered.wait_for(expected)) {
      state.SkipWithError("deliveries timed out");
      break;
    }
  }
  state.SetItemsProcessed(state.iterations() * batches * subscriber_count);
  caf::anon_send_exit(source, caf::exit_reason::user_shutdown);
  for (const auto& sub : subscribers) {
    caf::anon_send_exit(sub, caf::exit_reason::user_shutdown);
  }
  source = nullptr;
  subscribers.clear();
  system.await_all_actors_done();
}
BENCHMARK(BM_ActorMessageFanout)->ArgName("batches")->Arg(1)->Arg(64)->UseRealTime();

} // namespace
} // namespace switchyard::bench
