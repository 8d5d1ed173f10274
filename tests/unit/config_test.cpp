#include "runtime/config.hpp"

#include <fstream>

#include <gtest/gtest.h>

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
