// The admin calls of PROTOCOL.md's HTTP API. The reads answer from what the node already
// keeps: counters, the tenant board, and read-only store snapshots (bounded pages, so a
// call costs the io thread at most a short LMDB read). The purges run in the actors
// (actors/purge.hpp) and answer when done.

#include "actors/clock.hpp"
#include "actors/node_context.hpp"
#include "actors/purge.hpp"
#include "actors/shard_map.hpp"
#include "protocol/codec.hpp"
#include "protocol/jwt.hpp"
#include "protocol/message.hpp"
#include "store/event_store.hpp"
#include "transport/api_routes.hpp"
#include "transport/url_query.hpp"

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <map>
#include <optional>
#include <variant>

#include <nlohmann/json.hpp>

namespace switchyard::transport {

namespace {

using nlohmann::json;
using protocol::error_code::bad_request;

const std::string topics_path = "/admin/v1/topics/";
const std::string tenants_path = "/admin/v1/tenants/";
const std::string agents_path = "/admin/v1/agents/";
constexpr std::size_t default_page = 100;
constexpr std::size_t max_page = 1000;

http_reply json_reply(const json& body) {
  return {http::status::ok, body.dump() + "\n", "application/json"};
}

/// The query parameters of `req` when all of them are among `allowed`; else the error.
std::variant<std::map<std::string, std::string>, http_reply>
params_of(const http_router::request& req, std::initializer_list<std::string_view> allowed) {
  auto params = query_params({req.target().data(), req.target().size()});
  if (!params) {
    return http_error(bad_request, "malformed percent-encoding in the request target");
  }
  std::map<std::string, std::string> out;
  for (auto& [name, value] : *params) {
    if (std::find(allowed.begin(), allowed.end(), name) == allowed.end()) {
      return http_error(bad_request, "unknown query parameter '" + name + "'");
    }
    out[name] = std::move(value);
  }
  return out;
}

/// `limit`: absent gives the default; else 1..max_page.
std::optional<std::size_t> page_limit(const std::map<std::string, std::string>& params) {
  auto it = params.find("limit");
  if (it == params.end()) {
    return default_page;
  }
  std::size_t n = 0;
  const auto& v = it->second;
  auto [ptr, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
  if (ec != std::errc{} || ptr != v.data() + v.size() || n == 0 || n > max_page) {
    return std::nullopt;
  }
  return n;
}

std::string hex(std::string_view bytes) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (unsigned char c : bytes) {
    out += digits[c >> 4];
    out += digits[c & 15];
  }
  return out;
}

std::optional<std::string> unhex(std::string_view text) {
  if (text.size() % 2 != 0) {
    return std::nullopt;
  }
  std::string out;
  for (std::size_t i = 0; i < text.size(); i += 2) {
    unsigned value = 0;
    auto [ptr, ec] = std::from_chars(text.data() + i, text.data() + i + 2, value, 16);
    if (ec != std::errc{} || ptr != text.data() + i + 2) {
      return std::nullopt;
    }
    out += static_cast<char>(value);
  }
  return out;
}

/// A read the store refused: a name it cannot key (a tenant over 255 bytes, say) is the
/// caller's mistake (400); anything else is the store's (503, retry).
http_reply store_failure(const store::status& s) {
  if (s.value == store::status::code::bad_name) {
    return http_error(bad_request, s.message);
  }
  return http_error(protocol::error_code::unavailable, "store read failed: " + s.message, 1000);
}

http_reply status_view(actors::node_context& ctx, const std::atomic<bool>& stopping) {
  const auto& stats = ctx.store->stats();
  const auto now = actors::now_ms();
  return json_reply({
      {"node", ctx.node_name},
      {"started_ms", ctx.started_ms},
      {"uptime_ms", now - ctx.started_ms},
      {"draining", stopping.load()},
      {"store_writable", ctx.store_writable.load()},
      {"connections", ctx.live_connections.load()},
      {"topics_live", ctx.live_topics.load()},
      {"tenants_known", ctx.tenant_reports.snapshot().size()},
      {"store",
       {{"map_bytes", stats.map_bytes.load()},
        {"map_grown", stats.map_grown.load()},
        {"commits", ctx.store_commits.load()},
        {"batches", ctx.store_batches.load()}}},
  });
}

/// The cluster as this node's coordinator last read it from etcd (docs/cluster.md).
http_reply cluster_view(actors::node_context& ctx) {
  if (ctx.shards == nullptr) {
    return json_reply({{"enabled", false}, {"node", ctx.node_name}});
  }
  const auto view = ctx.shards->snapshot();
  std::map<std::string, int64_t> owned;
  json shards = json::array();
  for (uint32_t shard = 0; shard < actors::shard_count; ++shard) {
    const auto& owner = view.owners[shard];
    if (!owner.node.empty()) {
      ++owned[owner.node];
    }
    shards.push_back({{"shard", shard},
                      {"owner", owner.node.empty() ? json(nullptr) : json(owner.node)},
                      {"epoch", owner.epoch}});
  }
  json members = json::array();
  for (const auto& m : view.members) {
    members.push_back({{"node", m.node},
                       {"url", m.url},
                       {"peer", m.peer},
                       {"started_ms", m.started_ms},
                       {"shards", owned[m.node]}});
  }
  return json_reply({{"enabled", true},
                     {"node", ctx.node_name},
                     {"lease_live", view.lease_live()},
                     {"replication", ctx.shards->replication()},
                     {"replication_lag_events", ctx.metrics.replication_waiting_events.load()},
                     {"members", std::move(members)},
                     {"shards", std::move(shards)}});
}

http_reply tenants_view(actors::node_context& ctx) {
  json rows = json::array();
  for (const auto& t : ctx.tenant_reports.snapshot()) {
    json limits = json::object();
    for (const auto& [key, value] : t.limits.by_key()) {
      limits[std::string(key)] = value;
    }
    rows.push_back({{"tenant", t.tenant},
                    {"connections", t.connections},
                    {"subscriptions", t.subscriptions},
                    {"breaker", t.breaker},
                    {"slow_down_level", t.slow_down_level},
                    {"throttled_total", t.throttled_total},
                    {"breaker_opened_total", t.breaker_opened_total},
                    {"limits", std::move(limits)}});
  }
  return json_reply({{"tenants", std::move(rows)}});
}

http_reply topics_view(actors::node_context& ctx, const http_router::request& req) {
  auto parsed = params_of(req, {"tenant", "prefix", "after", "limit"});
  if (auto* refused = std::get_if<http_reply>(&parsed)) {
    return std::move(*refused);
  }
  auto& params = std::get<0>(parsed);
  const auto limit = page_limit(params);
  if (!limit) {
    return http_error(bad_request,
                      "query parameter 'limit' must be 1.." + std::to_string(max_page));
  }
  std::optional<std::string> tenant;
  if (auto it = params.find("tenant"); it != params.end()) {
    tenant = it->second;
  }
  const auto cursor = unhex(params["after"]);
  if (!cursor) {
    return http_error(bad_request, "query parameter 'after' must be a 'next' of an earlier page");
  }
  store::topic_page page;
  if (auto s = ctx.store->list_topics(tenant, params["prefix"], *cursor, *limit, page); !s.ok()) {
    return store_failure(s);
  }
  json rows = json::array();
  for (const auto& t : page.topics) {
    rows.push_back({{"tenant", t.tenant},
                    {"topic", t.topic},
                    {"first_seq", t.first_seq},
                    {"last_seq", t.last_seq},
                    {"last_ts_ms", t.last_ts_ms},
                    {"bytes", t.bytes}});
  }
  json body{{"topics", std::move(rows)}};
  if (!page.next.empty()) {
    body["next"] = hex(page.next);
  }
  return json_reply(body);
}

http_reply groups_view(actors::node_context& ctx, const http_router::request& req) {
  auto parsed = params_of(req, {"tenant", "topic"});
  if (auto* refused = std::get_if<http_reply>(&parsed)) {
    return std::move(*refused);
  }
  auto& params = std::get<0>(parsed);
  auto topic = params.find("topic");
  if (topic == params.end() || !protocol::valid_topic(topic->second)) {
    return http_error(bad_request, "query parameter 'topic' must name a topic");
  }
  const auto tenant = params.contains("tenant") ? params["tenant"] : std::string("default");
  std::vector<std::pair<std::string, store::group_state>> groups;
  store::topic_info info;
  if (auto s = ctx.store->list_groups(tenant, topic->second, groups); !s.ok()) {
    return store_failure(s);
  }
  if (auto s = ctx.store->info(tenant, topic->second, info); !s.ok()) {
    return store_failure(s);
  }
  json rows = json::array();
  for (const auto& [name, g] : groups) {
    // Lag: events the group has not finished (acked or dead-lettered), as last stored.
    const auto lag = info.last_seq > g.floor ? info.last_seq - g.floor - g.done.size() : 0;
    rows.push_back({{"group", name},
                    {"floor", g.floor},
                    {"pending", g.pending.size()},
                    {"lag", lag},
                    {"created_ms", g.created_ms},
                    {"active_ms", g.active_ms}});
  }
  return json_reply({{"tenant", tenant},
                     {"topic", topic->second},
                     {"last_seq", info.last_seq},
                     {"groups", std::move(rows)}});
}

/// The JSON answer of a finished purge: 200 with what went, 404 when nothing was stored,
/// 503 when the store could not do it.
http_reply purge_reply(const actors::purge_outcome& out, json body, const std::string& what) {
  if (out.error) {
    return http_error(protocol::error_code::unavailable, "the purge stopped: " + *out.error, 1000);
  }
  if (!out.found) {
    return http_error(protocol::error_code::not_found, what + " is not stored");
  }
  body["purged_events"] = out.events;
  body["purged_idem"] = out.idem;
  body["purged_groups"] = out.groups;
  return json_reply(body);
}

/// The percent-decoded rest of the path after `prefix`, or the error.
std::variant<std::string, http_reply> name_in_path(const http_router::request& req,
                                                   std::string_view prefix) {
  const auto path = target_path({req.target().data(), req.target().size()});
  auto name = percent_decode(path.substr(prefix.size()));
  if (!name) {
    return http_error(bad_request, "malformed percent-encoding in the request target");
  }
  return std::move(*name);
}

/// A positive integer query parameter; `fallback` when absent, nullopt when malformed.
std::optional<uint64_t> u64_param(const std::map<std::string, std::string>& params,
                                  const std::string& name, uint64_t fallback) {
  auto it = params.find(name);
  if (it == params.end()) {
    return fallback;
  }
  uint64_t n = 0;
  const auto& v = it->second;
  auto [ptr, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
  if (ec != std::errc{} || ptr != v.data() + v.size()) {
    return std::nullopt;
  }
  return n;
}

/// An agent session's checkpoint as the admin API shows it (null: none stored yet).
json checkpoint_json(const std::optional<store::agent_record>& rec) {
  if (!rec) {
    return nullptr;
  }
  const auto& p = rec->progress;
  return {{"applied_seq", p.applied_seq},
          {"snapshot_seq", p.snapshot_seq},
          {"snapshot_bytes", rec->snapshot ? rec->snapshot->bytes.size() : 0},
          {"next_due_ms", p.next_due_ms == 0 ? json(nullptr) : json(p.next_due_ms)}};
}

/// GET /admin/v1/agents?tenant=&kind=&after=&limit=: stored agent sessions (their inbox
/// topics, in (tenant, topic) order) with their checkpoints. A page looks at `limit`
/// topics, the sessions' out topics among them, so it may hold fewer sessions.
http_reply agents_view(actors::node_context& ctx, const http_router::request& req) {
  auto parsed = params_of(req, {"tenant", "kind", "after", "limit"});
  if (auto* refused = std::get_if<http_reply>(&parsed)) {
    return std::move(*refused);
  }
  auto& params = std::get<0>(parsed);
  const auto limit = page_limit(params);
  if (!limit) {
    return http_error(bad_request,
                      "query parameter 'limit' must be 1.." + std::to_string(max_page));
  }
  std::string prefix = "agents/";
  if (auto kind = params.find("kind"); kind != params.end()) {
    if (!protocol::agent_inbox_kind("agents/" + kind->second + "/s")) {
      return http_error(bad_request, "query parameter 'kind' must name an agent kind");
    }
    prefix += kind->second + "/";
  }
  std::optional<std::string> tenant;
  if (auto it = params.find("tenant"); it != params.end()) {
    tenant = it->second;
  }
  const auto cursor = unhex(params["after"]);
  if (!cursor) {
    return http_error(bad_request, "query parameter 'after' must be a 'next' of an earlier page");
  }
  store::topic_page page;
  if (auto s = ctx.store->list_topics(tenant, prefix, *cursor, *limit, page); !s.ok()) {
    return store_failure(s);
  }
  json rows = json::array();
  for (const auto& t : page.topics) {
    const auto kind = protocol::agent_inbox_kind(t.topic);
    if (!kind) {
      continue; // an out topic, or deeper
    }
    std::optional<store::agent_record> rec;
    if (auto s = ctx.store->load_agent(t.tenant, t.topic, rec); !s.ok()) {
      return store_failure(s);
    }
    const auto applied = rec ? rec->progress.applied_seq : 0;
    rows.push_back(
        {{"tenant", t.tenant},
         {"kind", std::string(*kind)},
         {"session", t.topic.substr(std::string_view("agents/").size() + kind->size() + 1)},
         {"inbox", {{"first_seq", t.first_seq}, {"last_seq", t.last_seq}}},
         {"unapplied", t.last_seq > applied ? t.last_seq - applied : 0},
         {"served", std::find(ctx.agent_kinds.begin(), ctx.agent_kinds.end(), *kind) !=
                        ctx.agent_kinds.end()},
         {"checkpoint", checkpoint_json(rec)}});
  }
  json body{{"sessions", std::move(rows)}};
  if (!page.next.empty()) {
    body["next"] = hex(page.next);
  }
  return json_reply(body);
}

/// GET /admin/v1/agents/{kind}/{session}/timeline?tenant=&from_seq=&limit=: the
/// session's inbox events in seq order (each envelope as JSON, and whether the
/// checkpoint covers it, with its decision digest when the checkpoint still keeps it),
/// and its checkpoint.
http_reply timeline_view(actors::node_context& ctx, const http_router::request& req) {
  auto named = name_in_path(req, agents_path);
  if (auto* refused = std::get_if<http_reply>(&named)) {
    return std::move(*refused);
  }
  const auto& rest = std::get<0>(named);
  constexpr std::string_view suffix = "/timeline";
  const auto inbox = "agents/" + rest.substr(0, rest.size() - std::min(rest.size(), suffix.size()));
  if (!rest.ends_with(suffix) || !protocol::valid_topic(inbox) ||
      !protocol::agent_inbox_kind(inbox)) {
    return http_error(
        protocol::error_code::not_found,
        "not an agent session's timeline: /admin/v1/agents/{kind}/{session}/timeline");
  }
  auto parsed = params_of(req, {"tenant", "from_seq", "limit"});
  if (auto* refused = std::get_if<http_reply>(&parsed)) {
    return std::move(*refused);
  }
  auto& params = std::get<0>(parsed);
  const auto limit = page_limit(params);
  const auto from = u64_param(params, "from_seq", 1);
  if (!limit || !from) {
    return http_error(bad_request, "query parameters 'from_seq' (a seq) and 'limit' (1.." +
                                       std::to_string(max_page) + ") must be numbers");
  }
  const auto tenant = params.contains("tenant") ? params["tenant"] : std::string("default");
  store::history_page page;
  if (auto s = ctx.store->history(tenant, inbox, *from, std::nullopt, *limit, std::size_t{4} << 20,
                                  page);
      !s.ok()) {
    return store_failure(s);
  }
  if (page.last_seq == 0) {
    return http_error(protocol::error_code::not_found,
                      "agent session '" + inbox + "' of tenant '" + tenant + "' is not stored");
  }
  std::optional<store::agent_record> rec;
  if (auto s = ctx.store->load_agent(tenant, inbox, rec); !s.ok()) {
    return store_failure(s);
  }
  json events = json::array();
  for (const auto& ev : page.events) {
    json row{{"seq", ev.seq},
             {"ts_ms", ev.ts_ms},
             {"data", json::parse(protocol::msgpack_to_json(ev.data), nullptr, false)},
             {"applied", rec && ev.seq <= rec->progress.applied_seq}};
    if (!ev.idem.empty()) {
      row["idem"] = ev.idem;
    }
    if (rec && ev.seq > rec->progress.snapshot_seq && ev.seq <= rec->progress.applied_seq) {
      char digest[17];
      std::snprintf(digest, sizeof digest, "%016llx",
                    static_cast<unsigned long long>(
                        rec->progress.digests[ev.seq - rec->progress.snapshot_seq - 1]));
      row["digest"] = digest;
    }
    events.push_back(std::move(row));
  }
  json body{{"tenant", tenant},
            {"session", inbox},
            {"inbox", {{"first_seq", page.first_seq}, {"last_seq", page.last_seq}}},
            {"checkpoint", checkpoint_json(rec)},
            {"events", std::move(events)}};
  if (!page.events.empty() && page.events.back().seq < page.last_seq) {
    body["next_seq"] = page.events.back().seq + 1;
  }
  return json_reply(body);
}

bool valid_tenant(const std::string& tenant) {
  return !tenant.empty() && tenant.size() <= protocol::max_claim_name_bytes;
}

/// DELETE /admin/v1/topics/{topic}?tenant=: {topic} percent-encoded, an unencoded '/'
/// inside it meaning the same topic.
void purge_topic_route(actors::node_context& ctx, const http_router::request& req,
                       http_router::respond_fn respond) {
  auto named = name_in_path(req, topics_path);
  if (auto* refused = std::get_if<http_reply>(&named)) {
    return respond(std::move(*refused));
  }
  auto& topic = std::get<0>(named);
  if (!protocol::valid_topic(topic)) {
    return respond(http_error(bad_request, "the path must name a topic: " + topics_path +
                                               "{topic}, percent-encoded"));
  }
  auto parsed = params_of(req, {"tenant"});
  if (auto* refused = std::get_if<http_reply>(&parsed)) {
    return respond(std::move(*refused));
  }
  auto& params = std::get<0>(parsed);
  auto tenant = params.contains("tenant") ? params["tenant"] : std::string("default");
  if (!valid_tenant(tenant)) {
    return respond(http_error(bad_request, "query parameter 'tenant' must be 1-255 bytes"));
  }
  json body{{"tenant", tenant}, {"topic", topic}};
  const auto what = "topic '" + topic + "' of tenant '" + tenant + "'";
  actors::purge_topic(ctx, std::move(tenant), std::move(topic),
                      [respond = std::move(respond), body = std::move(body),
                       what](actors::purge_outcome out) mutable {
                        body["last_seq"] = out.last_seq;
                        respond(purge_reply(out, std::move(body), what));
                      });
}

/// DELETE /admin/v1/tenants/{tenant}: every stored topic of the tenant.
void purge_tenant_route(actors::node_context& ctx, const http_router::request& req,
                        http_router::respond_fn respond) {
  auto named = name_in_path(req, tenants_path);
  if (auto* refused = std::get_if<http_reply>(&named)) {
    return respond(std::move(*refused));
  }
  auto& tenant = std::get<0>(named);
  if (!valid_tenant(tenant)) {
    return respond(http_error(bad_request, "the path must name a tenant of 1-255 bytes: " +
                                               tenants_path + "{tenant}, percent-encoded"));
  }
  if (auto parsed = params_of(req, {}); std::holds_alternative<http_reply>(parsed)) {
    return respond(std::get<http_reply>(std::move(parsed)));
  }
  json body{{"tenant", tenant}};
  const auto what = "tenant '" + tenant + "'";
  actors::purge_tenant(ctx, std::move(tenant),
                       [respond = std::move(respond), body = std::move(body),
                        what](actors::purge_outcome out) mutable {
                         body["topics"] = out.topics;
                         respond(purge_reply(out, std::move(body), what));
                       });
}

/// An admin write: refused without admin rights or while the node drains, else `write`.
template <class Write>
http_router::handler admin_write(actors::node_context& ctx, const std::atomic<bool>& stopping,
                                 Write write) {
  return
      [&ctx, &stopping, write](const http_router::request& req, http_router::respond_fn respond) {
        if (auto refused = refuse_admin(ctx, req)) {
          return respond(std::move(*refused));
        }
        if (stopping) {
          return respond(http_error(protocol::error_code::unavailable,
                                    "the node is draining; call another node", 1000));
        }
        write(req, std::move(respond));
      };
}

/// An admin read: refused without admin rights, else `view`'s answer.
template <class View> http_router::sync_handler admin(actors::node_context& ctx, View view) {
  return [&ctx, view](const http_router::request& req) {
    if (auto refused = refuse_admin(ctx, req)) {
      return std::move(*refused);
    }
    return view(req);
  };
}

} // namespace

void add_admin_routes(http_router& router, actors::node_context& ctx,
                      const std::atomic<bool>& stopping) {
  router.add(http::verb::get, "/admin/v1/status",
             admin(ctx, [&ctx, &stopping](const http_router::request&) {
               return status_view(ctx, stopping);
             }));
  router.add(http::verb::get, "/admin/v1/cluster",
             admin(ctx, [&ctx](const http_router::request&) { return cluster_view(ctx); }));
  router.add(http::verb::get, "/admin/v1/tenants",
             admin(ctx, [&ctx](const http_router::request&) { return tenants_view(ctx); }));
  router.add(http::verb::get, "/admin/v1/topics",
             admin(ctx, [&ctx](const http_router::request& req) { return topics_view(ctx, req); }));
  router.add(http::verb::get, "/admin/v1/groups",
             admin(ctx, [&ctx](const http_router::request& req) { return groups_view(ctx, req); }));
  router.add(http::verb::get, "/admin/v1/agents",
             admin(ctx, [&ctx](const http_router::request& req) { return agents_view(ctx, req); }));
  router.add_prefix(http::verb::get, agents_path,
                    [timeline = admin(ctx, [&ctx](const http_router::request& req) {
                       return timeline_view(ctx, req);
                     })](const http_router::request& req, http_router::respond_fn respond) {
                      respond(timeline(req));
                    });
  router.add_prefix(
      http::verb::delete_, topics_path,
      admin_write(ctx, stopping,
                  [&ctx](const http_router::request& req, http_router::respond_fn respond) {
                    purge_topic_route(ctx, req, std::move(respond));
                  }));
  router.add_prefix(
      http::verb::delete_, tenants_path,
      admin_write(ctx, stopping,
                  [&ctx](const http_router::request& req, http_router::respond_fn respond) {
                    purge_tenant_route(ctx, req, std::move(respond));
                  }));
}

} // namespace switchyard::transport
