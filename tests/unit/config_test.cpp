#include "runtime/config.hpp"

#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>
#include <unistd.h>

namespace switchyard::runtime {
namespace {

TEST(Config, EmbeddedDefaultsListenOnLoopback7400WithDataInDotData) {
  auto out = load_config({}, {});
  ASSERT_TRUE(out.error.empty()) << out.error;
  EXPECT_FALSE(out.exit_now);
  EXPECT_EQ(out.config.server.bind, "127.0.0.1");
  EXPECT_EQ(out.config.server.port, 7400);
  EXPECT_EQ(out.config.store.data_dir, "./data");
  EXPECT_EQ(out.config.auth_mode, "none");
  EXPECT_EQ(out.config.limits.max_frame_bytes, 1 << 20);
}

TEST(Config, CliBeatsEnvironment) {
  auto out = load_config({"--port", "9000", "--data-dir", "/tmp/x"},
                         {{"SWITCHYARD_PORT", "8000"}, {"SWITCHYARD_LOG_LEVEL", "debug"}});
  ASSERT_TRUE(out.error.empty()) << out.error;
  EXPECT_EQ(out.config.server.port, 9000);
  EXPECT_EQ(out.config.store.data_dir, "/tmp/x");
  EXPECT_EQ(out.config.log_level, "debug");
}

TEST(Config, UnrelatedEnvironmentVariablesAreIgnored) {
  auto out = load_config({}, {{"SWITCHYARD_BIN", "/usr/bin/x"}, {"HOME", "/root"}});
  EXPECT_TRUE(out.error.empty()) << out.error;
}

TEST(Config, BadValuesNameTheOptionAndWhereItCameFrom) {
  auto out = load_config({"--limits-max-frame-bytes", "12"}, {});
  EXPECT_EQ(out.exit_code, 2);
  EXPECT_NE(out.error.find("--limits-max-frame-bytes"), std::string::npos) << out.error;
  EXPECT_NE(out.error.find("out of range"), std::string::npos) << out.error;
  out = load_config({}, {{"SWITCHYARD_LOG_LEVEL", "loud"}});
  EXPECT_NE(out.error.find("SWITCHYARD_LOG_LEVEL"), std::string::npos) << out.error;
  out = load_config({"--config", "/nonexistent/file.json"}, {});
  EXPECT_NE(out.error.find("/nonexistent/file.json"), std::string::npos) << out.error;
}

TEST(Config, AuthNoneRefusesANonLoopbackListener) {
  auto out = load_config({"--bind", "10.1.2.3"}, {});
  EXPECT_NE(out.error.find("loopback"), std::string::npos) << out.error;
  out = load_config({"--bind", "::1"}, {});
  EXPECT_TRUE(out.error.empty()) << out.error;
}

TEST(Config, DumpConfigPrintsEveryKeyAsJson) {
  auto out = load_config({"--dump-config"}, {});
  EXPECT_TRUE(out.exit_now);
  EXPECT_NE(out.output.find("\"max_frame_bytes\": 1048576"), std::string::npos) << out.output;
  EXPECT_NE(out.output.find("\"port\": 7400"), std::string::npos) << out.output;
}

} // namespace
} // namespace switchyard::runtime

namespace switchyard::runtime {
namespace {

TEST(Config, StoreSyncModesAndSchedulerAreValidated) {
  auto out = load_config(
      {"--store-sync", "async", "--store-flush-ms", "250", "--scheduler", "stealing"}, {});
  ASSERT_TRUE(out.error.empty()) << out.error;
  EXPECT_EQ(out.config.store.sync, store::store_config::sync_mode::async);
  EXPECT_EQ(out.config.store.flush_ms, 250u);
  EXPECT_EQ(out.config.scheduler, "stealing");
  out = load_config({"--store-sync", "sometimes"}, {});
  EXPECT_NE(out.error.find("--store-sync"), std::string::npos) << out.error;
  EXPECT_NE(out.error.find("full, data, async"), std::string::npos) << out.error;
  out = load_config({"--scheduler", "random"}, {});
  EXPECT_NE(out.error.find("--scheduler"), std::string::npos) << out.error;
}

TEST(Config, JwtModeNeedsOneLongEnoughKeyThatTheDumpNeverShows) {
  const std::string secret(32, 'k');
  auto out = load_config({"--auth-mode", "jwt"}, {{"SWITCHYARD_AUTH_JWT_SECRET", secret}});
  ASSERT_TRUE(out.error.empty()) << out.error;
  EXPECT_TRUE(out.config.auth.jwt);
  EXPECT_EQ(out.config.auth.jwt_secret, secret);
  EXPECT_EQ(out.config.auth.leeway_ms, 30000);
  out = load_config({"--auth-mode", "jwt", "--dump-config"},
                    {{"SWITCHYARD_AUTH_JWT_SECRET", secret}});
  EXPECT_EQ(out.output.find(secret), std::string::npos) << out.output;
  EXPECT_NE(out.output.find("\"jwt_secret\": \"<set>\""), std::string::npos) << out.output;
  out = load_config({"--auth-mode", "jwt"}, {{"SWITCHYARD_AUTH_JWT_SECRET", "short"}});
  EXPECT_NE(out.error.find("at least 32 bytes"), std::string::npos) << out.error;
  EXPECT_EQ(out.error.find("short"), std::string::npos) << "the key leaked: " << out.error;
  EXPECT_EQ(out.exit_code, 2);
  out = load_config({"--auth-mode", "jwt"}, {});
  EXPECT_NE(out.error.find("at least 32 bytes"), std::string::npos) << out.error;
  const auto file = ::testing::TempDir() + "/jwt.key";
  { std::ofstream(file) << secret << "\n"; }
  out = load_config({"--auth-mode", "jwt", "--auth-jwt-secret-file", file}, {});
  ASSERT_TRUE(out.error.empty()) << out.error;
  EXPECT_EQ(out.config.auth.jwt_secret, secret);
  out = load_config({"--auth-mode", "jwt", "--auth-jwt-secret-file", file},
                    {{"SWITCHYARD_AUTH_JWT_SECRET", secret}});
  EXPECT_NE(out.error.find("both set"), std::string::npos) << out.error;
  EXPECT_EQ(out.exit_code, 2);
  out = load_config({"--auth-mode", "jwt", "--auth-jwt-secret-file", file + ".missing"}, {});
  EXPECT_NE(out.error.find("cannot read"), std::string::npos) << out.error;
  out = load_config({}, {{"SWITCHYARD_AUTH_JWT_SECRET", secret}});
  EXPECT_NE(out.error.find("auth.mode is none"), std::string::npos) << out.error;
}

TEST(Config, CommitWaitDefaultsToTwoMillisecondsAndIsBounded) {
  EXPECT_EQ(load_config({}, {}).config.store.commit_wait_us, 2000u);
  auto out = load_config({"--store-commit-wait-us", "0"}, {});
  ASSERT_TRUE(out.error.empty()) << out.error;
  EXPECT_EQ(out.config.store.commit_wait_us, 0u);
  out = load_config({"--store-commit-wait-us", "1000001"}, {});
  EXPECT_NE(out.error.find("--store-commit-wait-us"), std::string::npos) << out.error;
}

TEST(Config, ThreadCountsDefaultToAutomatic) {
  auto out = load_config({}, {});
  EXPECT_EQ(out.config.workers, 0);
  EXPECT_EQ(out.config.server.io_threads, 0);
  EXPECT_EQ(out.config.store.sync, store::store_config::sync_mode::full);
}

TEST(Config, WriteRoundsAreTwentyMillisecondsForRoomsOf256AndCanBeTurnedOff) {
  auto defaults = load_config({}, {}).config;
  EXPECT_EQ(defaults.limits.write_round_ms, 20);
  EXPECT_EQ(defaults.limits.write_round_room, 256);
  auto out = load_config({"--limits-write-round-ms", "0"}, {});
  ASSERT_TRUE(out.error.empty()) << out.error;
  EXPECT_EQ(out.config.limits.write_round_ms, 0);
  out = load_config({}, {{"SWITCHYARD_LIMITS_WRITE_ROUND_ROOM", "5"}});
  ASSERT_TRUE(out.error.empty()) << out.error;
  EXPECT_EQ(out.config.limits.write_round_room, 5);
  out = load_config({"--limits-write-round-ms", "5000"}, {});
  EXPECT_NE(out.error.find("--limits-write-round-ms"), std::string::npos) << out.error;
}

} // namespace
} // namespace switchyard::runtime

namespace switchyard::runtime {
namespace {

/// A config file in a temp location, removed afterwards.
struct config_file {
  explicit config_file(const std::string& text)
      : path(std::filesystem::temp_directory_path() /
             ("switchyard-config-test-" + std::to_string(::getpid()) + ".json")) {
    std::ofstream(path) << text;
  }
  ~config_file() { std::filesystem::remove(path); }
  std::filesystem::path path;
};

TEST(Config, TenantOverridesCompleteTheDefaultsOfEveryLayer) {
  config_file file{R"({"tenants": {"defaults": {"publish_per_s": 100},
      "overrides": {"acme.eu": {"max_connections": 3}, "globex": {"publish_per_s": 0}}}})"};
  auto out = load_config(
      {"--config", file.path.string(), "--tenants-defaults-max-subscriptions", "50"}, {});
  ASSERT_TRUE(out.error.empty()) << out.error;
  const auto& t = out.config.tenants;
  EXPECT_EQ(t.defaults.publish_per_s, 100);
  EXPECT_EQ(t.defaults.max_subscriptions, 50);
  const auto& acme = t.limits_of("acme.eu"); // a dot in a tenant name stays a name
  EXPECT_EQ(acme.max_connections, 3);
  EXPECT_EQ(acme.publish_per_s, 100);
  EXPECT_EQ(acme.max_subscriptions, 50);
  EXPECT_EQ(t.limits_of("globex").publish_per_s, 0);
  EXPECT_EQ(t.limits_of("initech").publish_per_s, 100);
  EXPECT_EQ(t.breaker.open_after_ms, 10000);
  EXPECT_EQ(t.breaker.cooldown_ms, 30000);

  auto dumped = load_config({"--config", file.path.string(), "--dump-config"}, {});
  EXPECT_NE(dumped.output.find(R"("acme.eu": {)"), std::string::npos) << dumped.output;
  EXPECT_NE(dumped.output.find(R"("publish_per_s": 100)"), std::string::npos) << dumped.output;
  EXPECT_NE(dumped.output.find(R"("open_after_ms": 10000)"), std::string::npos) << dumped.output;
}

TEST(Config, BadTenantLimitsAndOverridesAreRefused) {
  auto out = load_config({"--tenants-defaults-max-agent-sessions", "-5"}, {});
  EXPECT_EQ(out.exit_code, 2);
  EXPECT_NE(out.error.find("max-agent-sessions"), std::string::npos) << out.error;
  auto good = load_config({"--tenants-defaults-max-agent-sessions", "5"}, {});
  EXPECT_TRUE(good.error.empty()) << good.error;
  EXPECT_EQ(good.config.tenants.defaults.max_agent_sessions, 5);
  EXPECT_TRUE(load_config({"--tenants-defaults-max-topics", "5"}, {}).error.empty());
  for (const auto* text :
       {R"({"tenants": {"overrides": {"acme": {"publish_per_minute": 2}}}})",
        R"({"tenants": {"overrides": {"acme": {"publish_per_s": "fast"}}}})",
        R"({"tenants": {"overrides": {"acme": {"publish_per_s": -1}}}})",
        R"({"tenants": {"overrides": {"acme": 5}}})", R"({"tenants": {"overrides": []}})"}) {
    config_file file{text};
    auto bad = load_config({"--config", file.path.string()}, {});
    EXPECT_EQ(bad.exit_code, 2) << text;
    EXPECT_NE(bad.error.find("tenants.overrides"), std::string::npos) << bad.error;
  }
  // Overrides are for the config file: no such option on the command line.
  EXPECT_EQ(load_config({"--tenants-overrides-acme-publish-per-s", "1"}, {}).exit_code, 2);
}

TEST(Config, TlsNeedsBothTheCertificateAndTheKey) {
  auto out = load_config({"--tls-cert-file", "/etc/node.crt"}, {});
  EXPECT_EQ(out.exit_code, 2);
  EXPECT_NE(out.error.find("tls.key_file"), std::string::npos) << out.error;
  out = load_config({"--tls-cert-file", "/etc/node.crt", "--tls-key-file", "/etc/node.key"}, {});
  EXPECT_TRUE(out.error.empty()) << out.error;
}

TEST(Config, AReloadTakesTenantLimitsAndNamesWhatWaitsForARestart) {
  auto running = load_config({}, {}).config;
  auto fresh = load_config({"--tenants-defaults-publish-per-s", "9", "--port", "7500",
                            "--limits-bad-frames", "3"},
                           {})
                   .config;
  auto plan = plan_reload(running, fresh);
  EXPECT_EQ(plan.tenants.defaults.publish_per_s, 9);
  EXPECT_EQ(plan.needs_restart, (std::vector<std::string>{"port", "limits.bad_frames"}));
}

} // namespace
} // namespace switchyard::runtime

namespace switchyard::runtime {
namespace {

TEST(Config, ClusterKeysAreCheckedAndReplicationBeyondOneIsRefused) {
  auto alone = load_config({}, {});
  EXPECT_TRUE(alone.config.cluster.etcd.empty()) << "the embedded default runs alone";
  auto joined = load_config(
      {"--cluster-etcd", "http://127.0.0.1:2379,http://10.0.0.2:2379", "--cluster-name", "prod"},
      {});
  ASSERT_TRUE(joined.error.empty()) << joined.error;
  EXPECT_EQ(joined.config.cluster.etcd,
            (std::vector<std::string>{"http://127.0.0.1:2379", "http://10.0.0.2:2379"}));
  EXPECT_EQ(joined.config.cluster.name, "prod");
  EXPECT_EQ(joined.config.cluster.lease_ttl_ms, 3000);

  auto bad_url = load_config({"--cluster-etcd", "127.0.0.1:2379"}, {});
  EXPECT_EQ(bad_url.exit_code, 2);
  EXPECT_NE(bad_url.error.find("'127.0.0.1:2379' is not an http://host:port URL"),
            std::string::npos)
      << bad_url.error;
  EXPECT_EQ(load_config({"--cluster-replication", "2"}, {}).config.cluster.replication, 2);
  auto four = load_config({"--cluster-replication", "4"}, {});
  EXPECT_EQ(four.exit_code, 2);
  EXPECT_NE(four.error.find("--cluster-replication"), std::string::npos) << four.error;
  auto peer = load_config({"--cluster-peer-port", "7411"}, {});
  EXPECT_EQ(peer.config.cluster.peer_port, 7411);
  EXPECT_EQ(load_config({}, {}).config.cluster.peer_port, 7401);
}

} // namespace
} // namespace switchyard::runtime
