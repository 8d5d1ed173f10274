#include "actors/purge.hpp"

#include "actors/failure.hpp"
#include "actors/log.hpp"
#include "actors/node_context.hpp"
#include "actors/queue_group.hpp"
#include "actors/registry.hpp"
#include "store/event_store.hpp"

#include <utility>
#include <vector>

#include <caf/all.hpp>

namespace switchyard::actors {

namespace {

/// Topics a tenant purge lists at a time.
constexpr std::size_t list_page = 256;

struct purge_state {
  node_context* ctx = nullptr;
  std::string tenant;
  std::optional<std::string> topic; ///< a topic purge; else the whole tenant
  std::string prefix;               ///< the group registry's keys it holds
  purge_done done;
  purge_outcome out;
  std::vector<std::string> todo; ///< the listed topics still to purge (last first)
  std::string cursor;            ///< where the tenant's next listing starts
  bool listed_all = false;
  static inline const char* name = "purge";
};

using purge_actor = caf::stateful_actor<purge_state>;

void finish(purge_actor* self, std::optional<std::string> error) {
  auto& st = self->state;
  self->send(caf::actor_cast<group_registry_actor>(st.ctx->group_registry), release_atom::value,
             st.prefix);
  st.out.error = std::move(error);
  if (st.out.error) {
    log().error("admin.purge_failed tenant={} topic={} error=\"{}\"", log_name(st.tenant),
                st.topic.value_or("*"), *st.out.error);
  } else {
    log().info("admin.purged tenant={} topic={} topics={} events={} idem={} groups={}",
               log_name(st.tenant), st.topic.value_or("*"), st.out.topics, st.out.events,
               st.out.idem, st.out.groups);
  }
  st.done(std::move(st.out));
  self->quit();
}

/// Purges the next topic to do; lists more of the tenant's when none is left.
void next(purge_actor* self) {
  auto& st = self->state;
  if (st.todo.empty() && !st.listed_all) {
    store::topic_page page;
    if (auto s = st.ctx->store->list_topics(st.tenant, "", st.cursor, list_page, page); !s.ok()) {
      return finish(self, "the event store could not be read: " + s.message);
    }
    st.listed_all = page.next.empty();
    st.cursor = std::move(page.next);
    for (auto it = page.topics.rbegin(); it != page.topics.rend(); ++it) {
      st.todo.push_back(std::move(it->topic));
    }
    if (!st.listed_all && st.todo.empty()) {
      return self->send(self, purge_atom::value); // a short page: go on listing
    }
  }
  if (st.todo.empty()) {
    return finish(self, std::nullopt);
  }
  auto topic = std::move(st.todo.back());
  st.todo.pop_back();
  auto writer = caf::actor_cast<store_writer_actor>(st.ctx->writer);
  self->request(writer, caf::infinite, purge_atom::value, st.tenant, std::move(topic))
      .then(
          [=](const topic_purged& done) {
            auto& out = self->state.out;
            if (done.removed.found) {
              out.found = true;
              ++out.topics;
            }
            out.events += done.removed.events;
            out.idem += done.removed.idem;
            out.groups += done.removed.groups;
            out.last_seq = done.last_seq;
            next(self);
          },
          [=](caf::error& err) { finish(self, failure_message(err, self->system().render(err))); });
}

caf::behavior purge_behavior(purge_actor* self, node_context* ctx, std::string tenant,
                             std::optional<std::string> topic, purge_done done) {
  auto& st = self->state;
  st.ctx = ctx;
  st.tenant = std::move(tenant);
  st.topic = std::move(topic);
  st.done = std::move(done);
  // A group's key starts with its topic's key and '\n'; a tenant's topic keys, with the
  // tenant's length byte and name.
  st.prefix = st.topic ? group_key(st.tenant, *st.topic, "") : topic_key(st.tenant, "");
  if (st.topic) {
    st.todo.push_back(*st.topic);
    st.listed_all = true;
  }
  const auto reason = st.topic ? "topic '" + *st.topic + "' was purged" : "its tenant was purged";
  auto groups = caf::actor_cast<group_registry_actor>(ctx->group_registry);
  self->request(groups, caf::infinite, purge_atom::value, st.prefix, reason)
      .then(
          [=](bool) { next(self); },
          [=](caf::error& err) { finish(self, failure_message(err, self->system().render(err))); });
  return {[=](purge_atom) { next(self); }};
}

void spawn_purge(node_context& ctx, std::string tenant, std::optional<std::string> topic,
                 purge_done done) {
  ctx.system->spawn(purge_behavior, &ctx, std::move(tenant), std::move(topic), std::move(done));
}

} // namespace

void purge_topic(node_context& ctx, std::string tenant, std::string topic, purge_done done) {
  spawn_purge(ctx, std::move(tenant), std::move(topic), std::move(done));
}

void purge_tenant(node_context& ctx, std::string tenant, purge_done done) {
  spawn_purge(ctx, std::move(tenant), std::nullopt, std::move(done));
}

} // namespace switchyard::actors
