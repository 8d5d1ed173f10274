#include "transport/cluster_coordinator.hpp"

#include "actors/clock.hpp"
#include "transport/etcd_client.hpp"
#include "transport/log.hpp"

#include <algorithm>
#include <cinttypes>
#include <cstdio>

#include <nlohmann/json.hpp>

namespace switchyard::transport {

using json = nlohmann::json;
using std::chrono::steady_clock;

namespace {

const std::string* preferred_owner(const std::vector<actors::cluster_member>& members,
                                   uint32_t shard) {
  const std::string* best = nullptr;
  uint64_t best_score = 0;
  for (const auto& m : members) {
    const auto s = actors::rendezvous_score(m.node, shard);
    if (best == nullptr || s > best_score) {
      best = &m.node;
      best_score = s;
    }
  }
  return best;
}

int64_t since_ms(steady_clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(steady_clock::now() - t).count();
}

} // namespace

cluster_coordinator::cluster_coordinator(cluster_options options, std::string url, std::string peer,
                                         actors::shard_map& shards)
    : options_(std::move(options)), url_(std::move(url)), peer_(std::move(peer)), shards_(shards) {
  // A call may take a third of the lease: three tries fit before the lease runs out.
  etcd_ = std::make_unique<etcd_client>(options_.etcd,
                                        std::max<int64_t>(100, options_.lease_ttl_ms / 3));
}

cluster_coordinator::~cluster_coordinator() {
  stop();
}

std::string cluster_coordinator::member_key(const std::string& node) const {
  return options_.name + "/members/" + node;
}

std::string cluster_coordinator::shard_key(uint32_t shard) const {
  char digits[8];
  std::snprintf(digits, sizeof digits, "%03" PRIu32, shard);
  return options_.name + "/shards/" + digits;
}

bool cluster_coordinator::register_member(bool at_start, bool& name_taken) {
  const auto& node = shards_.node_name();
  if (lease_ == 0) {
    const auto ttl_s = (options_.lease_ttl_ms + 999) / 1000;
    const auto asked = steady_clock::now();
    auto granted = etcd_->grant(ttl_s);
    if (!granted) {
      return false;
    }
    lease_ = granted->id;
    // etcd may grant more than asked (its minimum TTL); fence by what we asked for.
    ttl_ms_ = std::min(options_.lease_ttl_ms, granted->ttl_s * 1000);
    renewed_ = asked;
  }
  json record = {{"node", node}, {"url", url_}, {"peer", peer_}, {"started_ms", actors::now_ms()}};
  auto created = etcd_->create(member_key(node), record.dump(), lease_);
  if (!created) {
    return false;
  }
  member_ = *created != 0;
  if (*created == 0) {
    if (at_start) {
      name_taken = true;
      etcd_->revoke(lease_);
      lease_ = 0;
    }
    // After a lost lease the old record may not have expired yet: try again next step.
    return false;
  }
  log().info("cluster.joined node={} cluster={} lease={} ttl_ms={} url={}", node, options_.name,
             lease_, ttl_ms_, url_);
  return true;
}

bool cluster_coordinator::start(std::string& error, bool& name_taken) {
  name_taken = false;
  if (!register_member(true, name_taken)) {
    error = name_taken ? "node_name '" + shards_.node_name() + "' is already live in cluster '" +
                             options_.name + "'"
                       : "cluster: etcd not reached: " + etcd_->last_error();
    return false;
  }
  step();
  thread_ = std::thread([this] { run(); });
  return true;
}

void cluster_coordinator::stop() {
  {
    std::lock_guard<std::mutex> guard{mutex_};
    if (stopping_) {
      return;
    }
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) {
    thread_.join();
  }
  if (lease_ != 0) {
    // The member and shard keys go with the lease: the others claim the shards on
    // their next step instead of after the lease's TTL.
    const bool revoked = etcd_->revoke(lease_);
    log().info("cluster.left node={} lease_revoked={}", shards_.node_name(), revoked);
    lease_ = 0;
  }
  view_.lease_until = {};
  shards_.update(view_);
}

void cluster_coordinator::run() {
  // Six steps a lease: a lost member's shards are claimed within a sixth of the TTL
  // after etcd dropped its keys.
  const auto interval = std::chrono::milliseconds(std::max<int64_t>(50, options_.lease_ttl_ms / 6));
  std::unique_lock<std::mutex> lock{mutex_};
  while (!stopping_) {
    if (wake_.wait_for(lock, interval, [this] { return stopping_; })) {
      break;
    }
    lock.unlock();
    step();
    lock.lock();
  }
}

void cluster_coordinator::step() {
  const auto& me = shards_.node_name();
  if (lease_ != 0) {
    const auto sent = steady_clock::now();
    if (auto ttl = etcd_->keep_alive(lease_)) {
      renew_failing_ = false;
      if (*ttl > 0) {
        renewed_ = sent;
      } else {
        log().warn("cluster.lease_lost node={} lease={}", me, lease_);
        lease_ = 0;
        member_ = false;
      }
    } else if (!renew_failing_) {
      // Once per outage: the step goes on trying six times a lease.
      renew_failing_ = true;
      log().warn("cluster.renew_failed node={} since_renewed_ms={} error=\"{}\"", me,
                 since_ms(renewed_), etcd_->last_error());
    }
  }
  if (lease_ == 0 || !member_) {
    bool ignored = false;
    register_member(false, ignored);
  }
  // The lease is live for as long as etcd cannot have expired it: counted from when
  // the last renewal was sent, which is before etcd received it.
  const bool live = lease_ != 0 && member_ && since_ms(renewed_) < ttl_ms_;
  if (was_live_ && !live) {
    log().warn("cluster.fenced node={} reason=lease_not_renewed ttl_ms={}", me, ttl_ms_);
  } else if (!was_live_ && live && fenced_before_) {
    log().info("cluster.unfenced node={} lease={}", me, lease_);
  }
  fenced_before_ = fenced_before_ || (was_live_ && !live);
  const bool served_before = was_live_;
  was_live_ = live;
  view_.lease_until = lease_ == 0 || !member_ ? steady_clock::time_point{}
                                              : renewed_ + std::chrono::milliseconds(ttl_ms_);
  auto read = etcd_->range_prefix(options_.name + "/");
  if (!read) {
    shards_.update(view_);
    if (on_changed_ && live != served_before) {
      on_changed_(false);
    }
    return;
  }
  std::vector<actors::cluster_member> members;
  std::array<actors::shard_owner, actors::shard_count> owners{};
  const auto members_prefix = options_.name + "/members/";
  const auto shards_prefix = options_.name + "/shards/";
  for (const auto& kv : read->kvs) {
    if (kv.key.rfind(members_prefix, 0) == 0) {
      auto record = json::parse(kv.value, nullptr, false);
      try {
        members.push_back({kv.key.substr(members_prefix.size()), record.value("url", ""),
                           record.value("peer", ""), record.value("started_ms", int64_t{0})});
      } catch (const json::exception&) {
        // Not a member record of this version (another writer under our prefix): skipped.
        log().warn("cluster.bad_member_record key={}", kv.key);
      }
    } else if (kv.key.rfind(shards_prefix, 0) == 0) {
      const auto digits = kv.key.substr(shards_prefix.size());
      const auto shard = static_cast<uint32_t>(std::strtoul(digits.c_str(), nullptr, 10));
      if (shard < actors::shard_count) {
        owners[shard] = {kv.value, kv.create_revision};
      }
    }
  }
  std::sort(members.begin(), members.end(),
            [](const auto& a, const auto& b) { return a.node < b.node; });
  int claimed = 0;
  int released = 0;
  if (live) {
    for (uint32_t shard = 0; shard < actors::shard_count; ++shard) {
      const auto* wanted = preferred_owner(members, shard);
      auto& owner = owners[shard];
      if (owner.node.empty() && wanted != nullptr && *wanted == me) {
        if (auto revision = etcd_->create(shard_key(shard), me, lease_); revision && *revision) {
          owner = {me, *revision};
          ++claimed;
        }
      } else if (owner.node == me && wanted != nullptr && *wanted != me) {
        // A member that joined wins this shard: give it up (it claims it next step).
        if (auto removed = etcd_->remove_if_created_at(shard_key(shard), owner.epoch);
            removed && *removed) {
          owner = {};
          ++released;
        }
      }
    }
    if (claimed > 0 || released > 0) {
      const auto owned =
          std::count_if(owners.begin(), owners.end(), [&](const auto& o) { return o.node == me; });
      log().info("cluster.shards node={} claimed={} released={} owned={} members={}", me, claimed,
                 released, owned, members.size());
    }
  }
  view_.members = std::move(members);
  view_.owners = owners;
  shards_.update(view_);
  if (on_changed_ && (claimed > 0 || released > 0 || live != served_before)) {
    on_changed_(claimed > 0);
  }
}

} // namespace switchyard::transport
