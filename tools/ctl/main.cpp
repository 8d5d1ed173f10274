// switchyard-ctl: tail, publish, read and replay topics, show a node's state, and
// inspect a stopped node's store. `switchyard-ctl --help` lists the commands.

#include "tools/ctl/commands.hpp"
#include "tools/ctl/ctl_error.hpp"
#include "tools/ctl/progress_bar.hpp"

#include <cstdio>
#include <cstdlib>
#include <functional>

#include <CLI/CLI.hpp>

namespace switchyard::ctl {

bool common_options::show_progress() const {
  return progress || (!json && progress_bar::stderr_is_terminal());
}

namespace {

void add_start_point(CLI::App* cmd, start_point& from, bool with_last) {
  auto* seq = cmd->add_option("--from", from.from_seq, "Start at this seq (inclusive)");
  auto* since = cmd->add_option("--since-ms", from.since_ms,
                                "Start at the first event with ts >= this (epoch ms)");
  seq->excludes(since);
  if (with_last) {
    auto* last = cmd->add_option("--last", from.last, "Start this many events before the end");
    last->excludes(seq)->excludes(since);
  }
}

} // namespace

} // namespace switchyard::ctl

int main(int argc, char** argv) {
  using namespace switchyard::ctl;
  CLI::App app{"switchyard-ctl: talk to a Switchyard node, or inspect a stopped one's store"};
  app.require_subcommand(1);
  common_options common;
  if (const char* token = std::getenv("SWITCHYARD_TOKEN")) {
    common.token = token;
  }
  app.add_option("--url", common.url, "The node (plain HTTP; its WebSocket is at /ws)")
      ->envname("SWITCHYARD_URL")
      ->capture_default_str();
  app.add_option("--token", common.token, "JWT for auth mode jwt (or SWITCHYARD_TOKEN)");
  app.add_flag("--json", common.json, "Print one JSON object per line, for scripts");
  app.add_flag("--progress", common.progress,
               "Show progress on stderr even when it is not a terminal");
  std::function<int()> command;

  tail_options tail;
  auto* tail_cmd = app.add_subcommand("tail", "Print a topic's events as they come (Ctrl-C stops)");
  tail_cmd->add_option("topic", tail.topic, "Topic")->required();
  add_start_point(tail_cmd, tail.from, true);
  tail_cmd->add_option("--count", tail.count, "Exit after this many events");
  tail_cmd->callback([&] { command = [&] { return run_tail(common, tail); }; });

  publish_options publish;
  auto* pub_cmd = app.add_subcommand("publish", "Publish one event (stored before the answer)");
  pub_cmd->add_option("topic", publish.topic, "Topic")->required();
  pub_cmd
      ->add_option("data", publish.data, "The event's data, a JSON value: '{\"a\":1}', '\"text\"'")
      ->required();
  pub_cmd->add_option("--key", publish.key, "Ordering key");
  pub_cmd->add_option("--idem", publish.idem, "Idempotency token (1-128 bytes)");
  pub_cmd->add_option("--ttl-ms", publish.ttl_ms, "Expire the event this long after it is stored");
  pub_cmd->callback([&] { command = [&] { return run_publish(common, publish); }; });

  history_options history;
  auto* hist_cmd = app.add_subcommand("history", "Print stored events of a topic");
  hist_cmd->add_option("topic", history.topic, "Topic")->required();
  add_start_point(hist_cmd, history.from, false);
  hist_cmd->add_option("--limit", history.limit, "Print at most this many events")
      ->capture_default_str()
      ->check(CLI::Range(uint64_t{1}, uint64_t{100'000'000}));
  hist_cmd->callback([&] { command = [&] { return run_history(common, history); }; });

  replay_options replay;
  auto* replay_cmd = app.add_subcommand(
      "replay", "Publish a range of a topic's stored events to another topic, in order");
  replay_cmd->add_option("topic", replay.topic, "Source topic")->required();
  replay_cmd->add_option("range", replay.range, "FROM..TO seqs, inclusive (FROM.. : to the newest)")
      ->required();
  replay_cmd->add_option("--to", replay.to, "Destination topic")->required();
  replay_cmd->callback([&] { command = [&] { return run_replay(common, replay); }; });

  auto* stats_cmd = app.add_subcommand("stats", "The node's status and tenants (admin)");
  stats_cmd->callback([&] { command = [&] { return run_stats(common); }; });
  auto* cluster_cmd =
      app.add_subcommand("cluster", "The cluster's members and shard map with epochs (admin)");
  cluster_cmd->callback([&] { command = [&] { return run_cluster(common); }; });

  purge_options purge;
  auto* purge_cmd = app.add_subcommand(
      "purge", "Delete a topic's stored events, idem tokens and queue groups (admin); its seq "
               "goes on");
  purge_cmd->add_option("topic", purge.topic, "Topic");
  purge_cmd->add_option("--tenant", purge.tenant, "The topic's tenant")->capture_default_str();
  purge_cmd->add_flag("--whole-tenant", purge.whole_tenant, "Purge every topic of --tenant");
  purge_cmd->add_flag("--yes", purge.yes, "Confirm: what is purged cannot be brought back");
  purge_cmd->callback([&] { command = [&] { return run_purge(common, purge); }; });

  inspect_options inspect;
  auto* inspect_cmd = app.add_subcommand(
      "inspect", "Read a node's store directly, read-only: topics, sizes, seq ranges, groups");
  inspect_cmd->add_option("data_dir", inspect.data_dir, "The node's data directory")->required();
  inspect_cmd->callback([&] { command = [&] { return run_inspect(common, inspect); }; });

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);
    return code == 0 ? 0 : 2;
  }
  try {
    return command();
  } catch (const ctl_error& e) {
    std::fprintf(stderr, "switchyard-ctl: %s\n", e.what());
    return e.code() == "usage" ? 2 : 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "switchyard-ctl: internal: %s\n", e.what());
    return 1;
  }
}
