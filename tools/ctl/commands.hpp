#pragma once
// The commands of switchyard-ctl. Each returns the process's exit code (0: done) and
// throws ctl_error for what stops it (main prints it and exits 1).

#include "tools/ctl/node_endpoint.hpp"

#include <cstdint>
#include <optional>
#include <string>

namespace switchyard::ctl {

/// Options every command has.
struct common_options {
  std::string url = "http://127.0.0.1:7400";
  std::string token;     ///< --token, or SWITCHYARD_TOKEN
  bool json = false;     ///< one JSON object per line on stdout, nothing else but errors
  bool progress = false; ///< progress lines on stderr even when it is not a terminal

  node_endpoint node() const { return node_endpoint::parse(url, token); }
  bool show_progress() const;
};

/// Where a read starts: at most one of these.
struct start_point {
  std::optional<uint64_t> from_seq;
  std::optional<int64_t> since_ms;
  std::optional<uint64_t> last;
};

struct tail_options {
  std::string topic;
  start_point from;
  uint64_t count = 0; ///< exit after this many events (0: run until stopped)
};
int run_tail(const common_options& common, const tail_options& opts);

struct publish_options {
  std::string topic;
  std::string data; ///< a JSON value
  std::string key;
  std::string idem;
  std::optional<uint64_t> ttl_ms;
};
int run_publish(const common_options& common, const publish_options& opts);

struct history_options {
  std::string topic;
  start_point from;     ///< `last` is not used here
  uint64_t limit = 100; ///< events in all (pages of up to 1000 are fetched)
};
int run_history(const common_options& common, const history_options& opts);

struct replay_options {
  std::string topic;
  std::string range; ///< "FROM..TO", "FROM.." (to the newest now)
  std::string to;    ///< the topic the events are published to
};
int run_replay(const common_options& common, const replay_options& opts);

int run_stats(const common_options& common);

/// The cluster's members and shard map (GET /admin/v1/cluster).
int run_cluster(const common_options& common);

struct purge_options {
  std::string topic;
  std::string tenant = "default";
  bool whole_tenant = false; ///< every topic of `tenant` instead of `topic`
  bool yes = false;          ///< the user confirmed
};
int run_purge(const common_options& common, const purge_options& opts);

struct inspect_options {
  std::string data_dir;
};
int run_inspect(const common_options& common, const inspect_options& opts);

} // namespace switchyard::ctl
