// The session stack over TLS (see session_start.hpp).

#include "transport/http_session.hpp"
#include "transport/log.hpp"
#include "transport/session_start.hpp"
#include "transport/ws_server.hpp"

#include <chrono>

#include <openssl/ssl.h>

namespace switchyard::transport {

namespace {

/// A TLS handshake must be done within this (as an HTTP request is read within 10 s).
constexpr auto tls_handshake_timeout = std::chrono::seconds(10);

} // namespace

std::shared_ptr<net::ssl::context> make_tls_context(const server_options& opts,
                                                    std::string& error) {
  namespace ssl = net::ssl;
  auto tls = std::make_shared<ssl::context>(ssl::context::tls_server);
  tls->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                   ssl::context::no_sslv3 | ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1 |
                   ssl::context::single_dh_use);
  SSL_CTX_set_min_proto_version(tls->native_handle(), TLS1_2_VERSION);
  beast::error_code ec;
  tls->use_certificate_chain_file(opts.tls_cert_file, ec);
  if (ec) {
    error = "tls.cert_file '" + opts.tls_cert_file + "': " + ec.message();
    return nullptr;
  }
  tls->use_private_key_file(opts.tls_key_file, ssl::context::pem, ec);
  if (ec) {
    error = "tls.key_file '" + opts.tls_key_file + "': " + ec.message();
    return nullptr;
  }
  if (SSL_CTX_check_private_key(tls->native_handle()) != 1) {
    error = "tls.key_file '" + opts.tls_key_file + "' does not match tls.cert_file";
    return nullptr;
  }
  return tls;
}

void start_tls_session(tcp::socket socket, std::shared_ptr<net::ssl::context> context,
                       const session_deps& deps) {
  auto stream = std::make_shared<tls_stream>(beast::tcp_stream(std::move(socket)), *context);
  beast::get_lowest_layer(*stream).expires_after(tls_handshake_timeout);
  stream->async_handshake(
      net::ssl::stream_base::server, [stream, context, deps](beast::error_code ec) {
        if (ec) {
          log().debug("tls.handshake_failed error=\"{}\"", ec.message());
          return;
        }
        std::make_shared<http_session<tls_stream>>(std::move(*stream), deps.ctx, deps.sessions,
                                                   deps.router, deps.stopping)
            ->run();
      });
}

} // namespace switchyard::transport
