// TLS on the node's port (tls.cert_file, tls.key_file): wss:// and https:// with a
// self-signed certificate made at test time, checked by clients that verify it (chain
// and host name); TLS before 1.2 refused; a reload serves new certificate files to new
// connections; plain text, garbage and broken handshakes on the TLS port are cut off
// while the node goes on serving.

#include "tests/support/raw_socket.hpp"
#include "tests/support/test_node.hpp"
#include "tests/support/tls_client.hpp"

#include <random>

#include <gtest/gtest.h>

namespace switchyard::testing {
namespace {

std::function<void(runtime::node_config&)> tls_files(const certificate_files& files) {
  return [files](runtime::node_config& cfg) {
    cfg.server.tls_cert_file = files.cert.string();
    cfg.server.tls_key_file = files.key.string();
  };
}

TEST(Tls, ServesWssAndHttpsToClientsThatVerifyTheCertificate) {
  temp_dir dir;
  auto ours = make_self_signed(dir.path(), "ours");
  auto other = make_self_signed(dir.path(), "other");
  test_node node{tls_files(ours)};

  auto ws = wss_exchange(node.port(), ours.cert, R"({"id":1,"op":"connect"})");
  ASSERT_TRUE(ws.verified) << ws.error;
  EXPECT_NE(ws.reply.find(R"("ok")"), std::string::npos) << ws.reply;
  EXPECT_TRUE(ws.protocol == "TLSv1.2" || ws.protocol == "TLSv1.3") << ws.protocol;

  auto health = https_get(node.port(), ours.cert, "/healthz");
  ASSERT_TRUE(health.verified) << health.error;
  EXPECT_EQ(health.status, 200);

  // A client that trusts another certificate refuses the node, as it should.
  auto stranger = wss_exchange(node.port(), other.cert, R"({"id":1,"op":"connect"})");
  EXPECT_FALSE(stranger.verified);
  EXPECT_NE(stranger.error.find("certificate verify failed"), std::string::npos) << stranger.error;

  EXPECT_FALSE(old_tls_accepted(node.port()));
}

TEST(Tls, AReloadServesNewCertificateFilesToNewConnections) {
  temp_dir dir;
  auto first = make_self_signed(dir.path(), "first");
  auto second = make_self_signed(dir.path(), "second");
  const certificate_files live{dir.path() / "live.crt", dir.path() / "live.key"};
  auto install = [&](const certificate_files& from) {
    std::filesystem::copy_file(from.cert, live.cert,
                               std::filesystem::copy_options::overwrite_existing);
    std::filesystem::copy_file(from.key, live.key,
                               std::filesystem::copy_options::overwrite_existing);
  };
  install(first);
  test_node node{tls_files(live)};
  EXPECT_TRUE(https_get(node.port(), first.cert, "/healthz").verified);
  wss_client early{node.port(), first.cert};

  install(second);
  auto cfg = test_config(node.data_dir());
  tls_files(live)(cfg);
  node.get().reload(cfg);
  auto renewed = https_get(node.port(), second.cert, "/healthz");
  EXPECT_TRUE(renewed.verified) << renewed.error;
  EXPECT_EQ(renewed.status, 200);
  EXPECT_FALSE(https_get(node.port(), first.cert, "/healthz").verified);

  // Files that do not load leave the current certificate in use.
  std::filesystem::resize_file(live.key, 10);
  node.get().reload(cfg);
  EXPECT_TRUE(https_get(node.port(), second.cert, "/healthz").verified);

  // A connection made with the first certificate goes on after both reloads.
  const auto reply = early.exchange(R"({"id":1,"op":"connect"})");
  EXPECT_NE(reply.find(R"("ok")"), std::string::npos) << reply;
}

TEST(Tls, PlainTextGarbageAndBrokenHandshakesOnTheTlsPortAreCutOffAndTheNodeGoesOn) {
  temp_dir dir;
  auto ours = make_self_signed(dir.path(), "ours");
  test_node node{tls_files(ours)};
  using namespace std::chrono_literals;

  // A plain ws:// client on the wss:// port: no TLS handshake, so no HTTP answer.
  raw_socket plain{node.port()};
  ASSERT_TRUE(plain.write("GET /ws HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
                          "Connection: Upgrade\r\nSec-WebSocket-Version: 13\r\n"
                          "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n"));
  EXPECT_TRUE(plain.wait_closed(5s)) << "a plain-text client was not cut off";

  // Random bytes.
  std::mt19937 rng{7};
  std::string garbage(64 * 1024, '\0');
  for (auto& c : garbage) {
    c = static_cast<char>(rng());
  }
  raw_socket noise{node.port()};
  noise.write(garbage);
  EXPECT_TRUE(noise.wait_closed(5s)) << "garbage was not cut off";

  // A TLS record header announcing a ClientHello that never comes whole, then a reset.
  for (int i = 0; i < 20; ++i) {
    raw_socket half{node.port()};
    half.write(std::string("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", 11));
    half.reset();
  }

  auto ws = wss_exchange(node.port(), ours.cert, R"({"id":1,"op":"connect"})");
  ASSERT_TRUE(ws.verified) << ws.error;
  EXPECT_NE(ws.reply.find(R"("ok")"), std::string::npos) << ws.reply;
}

} // namespace
} // namespace switchyard::testing
