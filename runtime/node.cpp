#include "runtime/node.hpp"

#include "actors/atoms.hpp"
#include "actors/clock.hpp"
#include "actors/cluster_messages.hpp"
#include "actors/cluster_peer.hpp"
#include "actors/interfaces.hpp"
#include "actors/node_context.hpp"
#include "actors/queue_group.hpp"
#include "actors/registry.hpp"
#include "actors/shard_map.hpp"
#include "actors/store_reader.hpp"
#include "actors/store_writer.hpp"
#include "actors/tenant.hpp"
#include "agents/host/session_host.hpp"
#include "runtime/log.hpp"
#include "store/event_store.hpp"
#include "transport/cluster_coordinator.hpp"
#include "transport/ws_server.hpp"

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

#include <caf/all.hpp>
#include <caf/io/all.hpp>

namespace switchyard::runtime {

namespace {

/// CAF 0.17 pins its logger in a thread-local of every thread that spawns an actor or
/// makes a scoped_actor, and ~actor_system waits until every such reference is gone.
/// Calls from threads that do not destroy the system drop their pin when done.
struct logger_pin_release {
  ~logger_pin_release() { caf::logger::set_current_actor_system(nullptr); }
};

/// Socket writes (loopback TCP sends) cost more CPU than the actors' work, so the
/// default gives the io threads one per core and the actors half as many. Measured on
/// 2 cores (docs/benchmarks.md): 2 io + 1 worker beat 1 + 2 and 1 + 1 at S=1000.
size_t worker_count(const node_config& cfg) {
  if (cfg.workers > 0) {
    return static_cast<size_t>(cfg.workers);
  }
  auto cores = static_cast<int64_t>(std::thread::hardware_concurrency());
  return static_cast<size_t>(std::max<int64_t>(1, cores / 2));
}

std::unique_ptr<caf::actor_system_config> make_actor_config(const node_config& cfg) {
  auto sys_cfg = std::make_unique<caf::actor_system_config>();
  // CAF's own config parsing (and its silent caf-application.ini) is not used: our
  // options are read by load_config.
  sys_cfg->set("scheduler.max-threads", worker_count(cfg));
  sys_cfg->set("scheduler.max-throughput", static_cast<size_t>(cfg.max_throughput));
  // 'sharing' wakes idle workers at once; work stealing naps 50 us steps per hop.
  sys_cfg->set("scheduler.policy",
               cfg.scheduler == "stealing" ? caf::atom("stealing") : caf::atom("sharing"));
  if (!cfg.cluster.etcd.empty()) {
    // Node-to-node traffic (docs/cluster.md). Heartbeats and a connection timeout, or a
    // frozen peer is never noticed (caf-notes: BASP defaults both to off).
    sys_cfg->load<caf::io::middleman>();
    sys_cfg->set("middleman.heartbeat-interval", caf::timespan{std::chrono::seconds(1)});
    sys_cfg->set("middleman.connection-timeout", caf::timespan{std::chrono::seconds(5)});
    actors::register_cluster_messages(*sys_cfg);
  }
  return sys_cfg;
}

} // namespace

// Member order is the shutdown order in reverse: the server (sockets) goes first, the
// actor system after every handle to an actor is gone, the store last.
struct node::impl {
  explicit impl(node_config c) : cfg(std::move(c)) {}

  actors::registry_actor registry() const {
    return caf::actor_cast<actors::registry_actor>(ctx->registry);
  }
  /// The running topic actor, started if needed (nullptr if the registry refused).
  actors::topic_actor topic(caf::scoped_actor& self, const std::string& tenant,
                            const std::string& name) {
    actors::topic_actor out;
    self->request(registry(), caf::infinite, actors::lookup_atom::value,
                  actors::topic_key(tenant, name))
        .receive([&](const actors::topic_actor& t) { out = t; }, [](caf::error&) {});
    return out;
  }

  node_config cfg;
  std::unique_ptr<store::event_store> store;
  std::unique_ptr<caf::actor_system_config> sys_cfg;
  std::unique_ptr<caf::actor_system> system;
  std::unique_ptr<actors::node_context> ctx;
  /// In a cluster: who owns which shard, kept current by the coordinator.
  std::unique_ptr<actors::shard_map> shards;
  std::unique_ptr<transport::ws_server> server;
  std::unique_ptr<transport::cluster_coordinator> coordinator;
  caf::actor peer; ///< in a cluster: the endpoint published for the other nodes
  bool running = false;
  int start_exit_code = 1;

  std::mutex wake_mutex;
  std::condition_variable wake;
  bool stop_requested = false;
  std::string fatal;
};

node::node(node_config cfg) : impl_(std::make_unique<impl>(std::move(cfg))) {}

node::~node() {
  stop();
}

bool node::start(std::string& error) {
  auto& d = *impl_;
  logger_pin_release release;
  log::configure(d.cfg.log_level);
  d.store = store::event_store::open(d.cfg.store, error);
  if (!d.store) {
    error = "store: " + error;
    return false;
  }
  d.sys_cfg = make_actor_config(d.cfg);
  d.system = std::make_unique<caf::actor_system>(*d.sys_cfg);
  d.ctx = std::make_unique<actors::node_context>();
  auto& ctx = *d.ctx;
  ctx.system = d.system.get();
  ctx.store = d.store.get();
  ctx.limits = d.cfg.limits;
  ctx.topics = d.cfg.topics;
  ctx.groups = d.cfg.groups;
  ctx.retention = d.cfg.retention;
  ctx.presence = d.cfg.presence;
  ctx.dedup_window_ms = static_cast<int64_t>(d.cfg.store.dedup_window_ms);
  ctx.restarts = d.cfg.restarts;
  ctx.node_name = d.cfg.node_name;
  if (!d.cfg.cluster.etcd.empty()) {
    d.shards = std::make_unique<actors::shard_map>(d.cfg.node_name,
                                                   static_cast<int>(d.cfg.cluster.replication));
    ctx.shards = d.shards.get();
  }
  ctx.started_ms = actors::now_ms();
  ctx.metrics_tenant_labels = d.cfg.metrics_max_tenant_labels;
  ctx.auth = d.cfg.auth;
  ctx.tenant_policy.set(d.cfg.tenants);
  ctx.commit_wait = std::chrono::microseconds(d.cfg.store.commit_wait_us);
  if (d.cfg.store.sync == store::store_config::sync_mode::async) {
    ctx.sync_interval_ms = d.cfg.store.flush_ms;
  }
  ctx.on_fatal = [&d](const std::string& message) {
    std::lock_guard lock(d.wake_mutex);
    if (d.fatal.empty()) {
      d.fatal = message;
    }
    d.wake.notify_all();
  };
  ctx.writer = caf::actor_cast<caf::actor>(actors::spawn_store_writer(*d.system, ctx));
  for (auto& reader :
       actors::spawn_store_readers(*d.system, ctx, static_cast<std::size_t>(d.cfg.store_readers))) {
    ctx.readers.push_back(caf::actor_cast<caf::actor>(reader));
  }
  ctx.registry = caf::actor_cast<caf::actor>(actors::spawn_registry(*d.system, ctx));
  ctx.group_registry = caf::actor_cast<caf::actor>(actors::spawn_group_registry(*d.system, ctx));
  ctx.tenants = caf::actor_cast<caf::actor>(actors::spawn_tenant_registry(*d.system, ctx));
  if (d.shards) {
    d.peer = actors::spawn_cluster_peer(*d.system, ctx);
    ctx.cluster_peer = d.peer;
  }
  if (!d.cfg.agent_kinds.empty()) {
    ctx.agent_bounds = d.cfg.agents;
    for (const auto& kind : d.cfg.agent_kinds) {
      ctx.agent_kinds.push_back(kind->name);
    }
    auto host = agents::host::spawn_agent_host(*d.system, ctx, d.cfg.agent_kinds);
    ctx.agents = host.router;
    ctx.agent_sessions = host.sessions;
  }
  d.server = std::make_unique<transport::ws_server>(ctx, d.cfg.server);
  d.server->on_drained([this] { request_stop(); });
  d.running = true;
  if (!d.server->start(error)) {
    stop();
    return false;
  }
  if (d.shards) {
    const auto host = d.cfg.server.bind == "0.0.0.0" || d.cfg.server.bind == "::"
                          ? std::string{"localhost"}
                          : d.cfg.server.bind;
    const auto url = std::string{d.cfg.server.tls_cert_file.empty() ? "ws://" : "wss://"} +
                     (host.find(':') == std::string::npos ? host : "[" + host + "]") + ":" +
                     std::to_string(d.server->port());
    auto peer_port = d.system->middleman().publish(d.peer, d.cfg.cluster.peer_port,
                                                   d.cfg.server.bind.c_str(), true);
    if (!peer_port) {
      error = "cluster.peer_port " + std::to_string(d.cfg.cluster.peer_port) + ": " +
              d.system->render(peer_port.error());
      stop();
      return false;
    }
    const auto peer = host + ":" + std::to_string(*peer_port);
    d.coordinator =
        std::make_unique<transport::cluster_coordinator>(d.cfg.cluster, url, peer, *d.shards);
    // Topics of shards no longer served stop on the registry's tick (their subscribers
    // hear where to go); after a claim the agent router scans the stored inboxes again
    // and wakes the sessions of the shards now served that have events to apply.
    d.coordinator->on_served_changed([registry = ctx.registry, agents = ctx.agents](bool claimed) {
      caf::anon_send(registry, actors::tick_atom::value);
      if (claimed && agents) {
        caf::anon_send(agents, actors::tick_atom::value);
      }
    });
    bool name_taken = false;
    if (!d.coordinator->start(error, name_taken)) {
      d.start_exit_code = name_taken ? 2 : 1;
      d.coordinator.reset();
      stop();
      return false;
    }
  }
  log::runtime().info("node.started node={} port={} data_dir={} workers={}", d.cfg.node_name,
                      d.server->port(), d.cfg.store.data_dir, worker_count(d.cfg));
  return true;
}

void node::reload(const node_config& fresh) {
  auto& d = *impl_;
  if (!d.running) {
    return;
  }
  auto plan = plan_reload(d.cfg, fresh);
  d.ctx->tenant_policy.set(plan.tenants);
  d.cfg.tenants = std::move(plan.tenants);
  std::string error;
  if (!d.server->reload_tls(error)) {
    log::runtime().error("tls.reload_failed error=\"{}\"", error);
  }
  std::string waiting;
  for (const auto& key : plan.needs_restart) {
    waiting += (waiting.empty() ? "" : ",") + key;
  }
  log::runtime().info(
      "config.reloaded node={} tenant_overrides={} tls={} needs_restart=\"{}\"", d.cfg.node_name,
      d.cfg.tenants.overrides.size(),
      d.cfg.server.tls_cert_file.empty() ? "off" : (error.empty() ? "reloaded" : "kept"), waiting);
}

int node::start_failure_exit_code() const {
  return impl_->start_exit_code;
}

uint16_t node::port() const {
  return impl_->server ? impl_->server->port() : 0;
}

std::string node::wait() {
  auto& d = *impl_;
  std::unique_lock lock(d.wake_mutex);
  d.wake.wait(lock, [&] { return d.stop_requested || !d.fatal.empty(); });
  return d.fatal;
}

void node::request_stop() {
  auto& d = *impl_;
  std::lock_guard lock(d.wake_mutex);
  d.stop_requested = true;
  d.wake.notify_all();
}

void node::drain(const std::string& reason) {
  if (impl_->server) {
    impl_->server->drain(reason);
  }
}

void node::stop() {
  auto& d = *impl_;
  if (!d.running) {
    return;
  }
  d.running = false;
  logger_pin_release release;
  if (d.coordinator) {
    // First: the lease goes, and with it this node's shards to the others.
    d.coordinator->stop();
  }
  d.server->stop();
  {
    caf::scoped_actor self{*d.system};
    // Agent sessions, groups, then topics, so every write they sent is in the writer's
    // mailbox before its shutdown message: the writer commits it all, then quits.
    if (d.ctx->agents) {
      self->send_exit(d.ctx->agents, caf::exit_reason::user_shutdown);
      self->request(d.ctx->agent_sessions, caf::infinite, actors::shutdown_atom::value)
          .receive([](bool) {}, [](caf::error&) {});
    }
    self->request(caf::actor_cast<actors::group_registry_actor>(d.ctx->group_registry),
                  caf::infinite, actors::shutdown_atom::value)
        .receive([](bool) {}, [](caf::error&) {});
    self->request(d.registry(), caf::infinite, actors::shutdown_atom::value)
        .receive([](bool) {}, [](caf::error&) {});
    self->request(caf::actor_cast<actors::tenant_registry_actor>(d.ctx->tenants), caf::infinite,
                  actors::shutdown_atom::value)
        .receive([](bool) {}, [](caf::error&) {});
    self->send(caf::actor_cast<actors::store_writer_actor>(d.ctx->writer),
               actors::shutdown_atom::value);
    for (auto& reader : d.ctx->readers) {
      self->send_exit(reader, caf::exit_reason::user_shutdown);
    }
  }
  if (d.peer) {
    caf::anon_send_exit(d.peer, caf::exit_reason::user_shutdown);
    d.peer = nullptr;
  }
  d.ctx->agents = nullptr;
  d.ctx->agent_sessions = nullptr;
  d.ctx->registry = nullptr;
  d.ctx->group_registry = nullptr;
  d.ctx->tenants = nullptr;
  d.ctx->writer = nullptr;
  d.ctx->readers.clear();
  d.system->await_all_actors_done();
  d.server.reset();
  d.ctx.reset();
  d.system.reset();
  d.store.reset();
  log::runtime().info("node.stopped node={}", d.cfg.node_name);
}

void node::crash_topic(const std::string& tenant, const std::string& topic) {
  auto& d = *impl_;
  logger_pin_release release;
  caf::scoped_actor self{*d.system};
  if (auto t = d.topic(self, tenant, topic)) {
    // Returns once it is dead, so the next look-up sees the restart (or the cut-off).
    self->monitor(t);
    self->send(t, actors::crash_atom::value);
    self->receive([](caf::down_msg&) {}, caf::after(std::chrono::seconds(10)) >> [] {});
  }
}

void node::crash_tenant(const std::string& tenant) {
  auto& d = *impl_;
  logger_pin_release release;
  caf::scoped_actor self{*d.system};
  actors::tenant_actor t;
  self->request(caf::actor_cast<actors::tenant_registry_actor>(d.ctx->tenants), caf::infinite,
                actors::lookup_atom::value, tenant)
      .receive([&](const actors::tenant_actor& found) { t = found; }, [](caf::error&) {});
  if (t) {
    self->monitor(t);
    self->send(t, actors::crash_atom::value);
    self->receive([](caf::down_msg&) {}, caf::after(std::chrono::seconds(10)) >> [] {});
  }
}

uint64_t node::subscriber_count(const std::string& tenant, const std::string& topic) {
  auto& d = *impl_;
  logger_pin_release release;
  caf::scoped_actor self{*d.system};
  uint64_t n = 0;
  if (auto t = d.topic(self, tenant, topic)) {
    self->request(t, caf::infinite, actors::count_atom::value)
        .receive([&](uint64_t count) { n = count; }, [](caf::error&) {});
  }
  return n;
}

uint64_t node::live_topics() {
  auto& d = *impl_;
  logger_pin_release release;
  caf::scoped_actor self{*d.system};
  uint64_t n = 0;
  self->request(d.registry(), caf::infinite, actors::count_atom::value)
      .receive([&](uint64_t count) { n = count; }, [](caf::error&) {});
  return n;
}

actors::node_context& node::context() {
  return *impl_->ctx;
}

int64_t node::live_connections() const {
  return impl_->ctx ? impl_->ctx->live_connections.load() : 0;
}

bool node::store_writable() const {
  return impl_->ctx && impl_->ctx->store_writable.load();
}

node::store_stats node::store_counters() const {
  if (!impl_->ctx) {
    return {};
  }
  const auto& s = impl_->store->stats();
  return {impl_->ctx->store_commits.load(), impl_->ctx->store_batches.load(), s.map_bytes.load(),
          s.map_grown.load()};
}

} // namespace switchyard::runtime
