#include "tests/support/tls_client.hpp"

// Boost 1.74 asio/awaitable.hpp uses std::exchange without including <utility> (C++20).
#include <functional>
#include <memory>
#include <stdexcept>
#include <utility>

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

namespace switchyard::testing {

namespace {

namespace net = boost::asio;
namespace ssl = net::ssl;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
using tcp = net::ip::tcp;

template <class T, void (*Free)(T*)> struct deleter {
  void operator()(T* p) const { Free(p); }
};
using pkey_ptr = std::unique_ptr<EVP_PKEY, deleter<EVP_PKEY, EVP_PKEY_free>>;
using x509_ptr = std::unique_ptr<X509, deleter<X509, X509_free>>;
using ext_ptr = std::unique_ptr<X509_EXTENSION, deleter<X509_EXTENSION, X509_EXTENSION_free>>;

void write_pem(const std::filesystem::path& path, const std::function<int(FILE*)>& write) {
  FILE* f = std::fopen(path.c_str(), "w");
  if (f == nullptr || write(f) != 1) {
    if (f != nullptr) {
      std::fclose(f);
    }
    throw std::runtime_error("cannot write " + path.string());
  }
  std::fclose(f);
}

/// A verifying TLS stream to localhost:port, handshaken; throws with OpenSSL's reason.
struct tls_connection {
  tls_connection(uint16_t port, const std::filesystem::path& ca)
      : tls(ssl::context::tls_client), stream(ioc, tls) {
    // The stream was made before these lines: its own verify mode is what counts.
    tls.load_verify_file(ca.string());
    stream.set_verify_mode(ssl::verify_peer);
    stream.set_verify_callback(ssl::host_name_verification("localhost"));
    SSL_set_tlsext_host_name(stream.native_handle(), "localhost");
    beast::get_lowest_layer(stream).connect(
        tcp::endpoint(net::ip::make_address("127.0.0.1"), port));
    beast::get_lowest_layer(stream).expires_after(std::chrono::seconds(10));
    stream.handshake(ssl::stream_base::client);
  }
  std::string protocol() { return SSL_get_version(stream.native_handle()); }

  net::io_context ioc;
  ssl::context tls;
  beast::ssl_stream<beast::tcp_stream> stream;
};

} // namespace

certificate_files make_self_signed(const std::filesystem::path& dir, const std::string& name) {
  pkey_ptr key{EVP_EC_gen("P-256")};
  x509_ptr cert{X509_new()};
  if (!key || !cert) {
    throw std::runtime_error("cannot make a key");
  }
  X509_set_version(cert.get(), 2);
  static long serial = 1;
  ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), serial++);
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), -60);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), 3600);
  X509_set_pubkey(cert.get(), key.get());
  auto* subject = X509_get_subject_name(cert.get());
  X509_NAME_add_entry_by_txt(subject, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>("localhost"), -1, -1, 0);
  X509_NAME_add_entry_by_txt(subject, "O", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>(name.c_str()), -1, -1, 0);
  X509_set_issuer_name(cert.get(), subject);
  X509V3_CTX v3;
  X509V3_set_ctx_nodb(&v3);
  X509V3_set_ctx(&v3, cert.get(), cert.get(), nullptr, nullptr, 0);
  ext_ptr san{
      X509V3_EXT_conf_nid(nullptr, &v3, NID_subject_alt_name, "DNS:localhost,IP:127.0.0.1")};
  if (!san || X509_add_ext(cert.get(), san.get(), -1) != 1 ||
      X509_sign(cert.get(), key.get(), EVP_sha256()) == 0) {
    throw std::runtime_error("cannot sign the certificate");
  }
  certificate_files out{dir / (name + ".crt"), dir / (name + ".key")};
  write_pem(out.cert, [&](FILE* f) { return PEM_write_X509(f, cert.get()); });
  write_pem(out.key, [&](FILE* f) {
    return PEM_write_PrivateKey(f, key.get(), nullptr, nullptr, 0, nullptr, nullptr);
  });
  return out;
}

struct wss_client::impl {
  impl(uint16_t port, const std::filesystem::path& ca) : tls(port, ca), ws(tls.stream) {
    ws.set_option(websocket::stream_base::decorator([](websocket::request_type& req) {
      req.set(http::field::sec_websocket_protocol, "switchyard.v1.json");
    }));
    ws.handshake("localhost:" + std::to_string(port), "/ws");
    ws.text(true);
    beast::get_lowest_layer(tls.stream).expires_never();
  }

  tls_connection tls;
  websocket::stream<beast::ssl_stream<beast::tcp_stream>&> ws;
};

wss_client::wss_client(uint16_t port, const std::filesystem::path& ca)
    : impl_(std::make_unique<impl>(port, ca)) {}

wss_client::~wss_client() = default;

std::string wss_client::protocol() {
  return impl_->tls.protocol();
}

std::string wss_client::exchange(const std::string& message) {
  auto& ws = impl_->ws;
  beast::get_lowest_layer(impl_->tls.stream).expires_after(std::chrono::seconds(10));
  ws.write(net::buffer(message));
  beast::flat_buffer buffer;
  ws.read(buffer);
  beast::get_lowest_layer(impl_->tls.stream).expires_never();
  return beast::buffers_to_string(buffer.data());
}

tls_result wss_exchange(uint16_t port, const std::filesystem::path& ca,
                        const std::string& message) {
  tls_result out;
  try {
    wss_client c{port, ca};
    out.protocol = c.protocol();
    out.verified = true;
    out.reply = c.exchange(message);
  } catch (const std::exception& e) {
    out.error = e.what();
  }
  return out;
}

tls_result https_get(uint16_t port, const std::filesystem::path& ca, const std::string& target) {
  tls_result out;
  try {
    tls_connection c{port, ca};
    out.protocol = c.protocol();
    out.verified = true;
    http::request<http::empty_body> req{http::verb::get, target, 11};
    req.set(http::field::host, "localhost");
    http::write(c.stream, req);
    beast::flat_buffer buffer;
    http::response<http::string_body> res;
    beast::error_code ec;
    http::read(c.stream, buffer, res, ec);
    out.status = static_cast<int>(res.result_int());
    out.reply = res.body();
  } catch (const std::exception& e) {
    out.error = e.what();
  }
  return out;
}

bool old_tls_accepted(uint16_t port) {
  net::io_context ioc;
  ssl::context tls{ssl::context::tls_client};
  SSL_CTX_set_min_proto_version(tls.native_handle(), TLS1_VERSION);
  SSL_CTX_set_max_proto_version(tls.native_handle(), TLS1_1_VERSION);
  // Old protocols need the lowest security level to be offered at all.
  SSL_CTX_set_security_level(tls.native_handle(), 0);
  tls.set_verify_mode(ssl::verify_none);
  beast::ssl_stream<beast::tcp_stream> stream{ioc, tls};
  beast::error_code ec;
  beast::get_lowest_layer(stream).connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), port),
                                          ec);
  if (ec) {
    return false;
  }
  beast::get_lowest_layer(stream).expires_after(std::chrono::seconds(10));
  stream.handshake(ssl::stream_base::client, ec);
  return !ec;
}

} // namespace switchyard::testing
