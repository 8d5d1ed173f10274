#include "transport/etcd_client.hpp"

#include <charconv>
#include <chrono>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <nlohmann/json.hpp>
#include <openssl/evp.h>

namespace switchyard::transport {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using json = nlohmann::json;

namespace {

struct endpoint_url {
  std::string host;
  std::string port;
};

std::optional<endpoint_url> parse_url(const std::string& url) {
  const std::string scheme = "http://";
  if (url.rfind(scheme, 0) != 0) {
    return std::nullopt;
  }
  auto rest = url.substr(scheme.size());
  if (!rest.empty() && rest.back() == '/') {
    rest.pop_back();
  }
  const auto colon = rest.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == rest.size() ||
      rest.find('/') != std::string::npos) {
    return std::nullopt;
  }
  auto port = rest.substr(colon + 1);
  if (port.find_first_not_of("0123456789") != std::string::npos || port.size() > 5 ||
      std::stoi(port) == 0 || std::stoi(port) > 65535) {
    return std::nullopt;
  }
  return endpoint_url{rest.substr(0, colon), port};
}

std::string base64(const std::string& bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3) + 1, '\0');
  const auto n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                 reinterpret_cast<const unsigned char*>(bytes.data()),
                                 static_cast<int>(bytes.size()));
  out.resize(static_cast<std::size_t>(n));
  return out;
}

std::string unbase64(const std::string& text) {
  if (text.empty()) {
    return {};
  }
  std::string out(3 * text.size() / 4 + 1, '\0');
  const auto n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                 reinterpret_cast<const unsigned char*>(text.data()),
                                 static_cast<int>(text.size()));
  if (n < 0) {
    return {};
  }
  // EVP_DecodeBlock counts the padding's zero bytes in.
  auto size = static_cast<std::size_t>(n);
  for (auto it = text.rbegin(); it != text.rend() && *it == '='; ++it) {
    --size;
  }
  out.resize(size);
  return out;
}

/// The gateway writes int64 fields as JSON strings, and leaves out zero values.
int64_t int_field(const json& obj, const char* name) {
  auto it = obj.find(name);
  if (it == obj.end()) {
    return 0;
  }
  if (it->is_string()) {
    const auto& text = it->get_ref<const std::string&>();
    int64_t value = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    return ec == std::errc{} && end == text.data() + text.size() ? value : 0;
  }
  return it->is_number_integer() ? it->get<int64_t>() : 0;
}

/// The smallest key after every key that starts with `prefix` (etcd's range_end).
std::string prefix_end(std::string prefix) {
  while (!prefix.empty()) {
    auto& last = prefix.back();
    if (static_cast<unsigned char>(last) < 0xff) {
      ++last;
      return prefix;
    }
    prefix.pop_back();
  }
  return std::string(1, '\0');
}

} // namespace

struct etcd_client::impl {
  std::vector<endpoint_url> endpoints;
  std::size_t current = 0; ///< the endpoint that answered last
  std::chrono::milliseconds timeout;
  asio::io_context io;
};

etcd_client::etcd_client(std::vector<std::string> endpoints, int64_t timeout_ms)
    : impl_(std::make_unique<impl>()) {
  impl_->timeout = std::chrono::milliseconds(timeout_ms);
  for (const auto& url : endpoints) {
    if (auto parsed = parse_url(url)) {
      impl_->endpoints.push_back(*parsed);
    }
  }
}

etcd_client::~etcd_client() = default;

std::string etcd_client::check_endpoints(const std::vector<std::string>& endpoints) {
  if (endpoints.empty()) {
    return "no etcd endpoint given";
  }
  for (const auto& url : endpoints) {
    if (!parse_url(url)) {
      return "'" + url + "' is not an http://host:port URL";
    }
  }
  return "";
}

std::optional<std::string> etcd_client::call(const std::string& path, const std::string& body) {
  auto& d = *impl_;
  for (std::size_t attempt = 0; attempt < d.endpoints.size(); ++attempt) {
    const auto& ep = d.endpoints[(d.current + attempt) % d.endpoints.size()];
    beast::tcp_stream stream{d.io};
    asio::ip::tcp::resolver resolver{d.io};
    http::request<http::string_body> req{http::verb::post, path, 11};
    req.set(http::field::host, ep.host + ":" + ep.port);
    req.set(http::field::content_type, "application/json");
    req.body() = body;
    req.prepare_payload();
    beast::flat_buffer buffer;
    http::response<http::string_body> res;
    beast::error_code failed;
    // One deadline for the whole exchange: every step runs under the stream's expiry.
    stream.expires_after(d.timeout);
    resolver.async_resolve(ep.host, ep.port, [&](beast::error_code ec, auto results) {
      if (ec) {
        failed = ec;
        return;
      }
      stream.async_connect(results, [&](beast::error_code ec2, auto) {
        if (ec2) {
          failed = ec2;
          return;
        }
        http::async_write(stream, req, [&](beast::error_code ec3, std::size_t) {
          if (ec3) {
            failed = ec3;
            return;
          }
          http::async_read(stream, buffer, res, [&](beast::error_code ec4, std::size_t) {
            if (ec4) {
              failed = ec4;
            }
          });
        });
      });
    });
    d.io.restart();
    d.io.run();
    beast::error_code ignored;
    stream.socket().shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
    if (failed) {
      error_ = ep.host + ":" + ep.port + path + ": " + failed.message();
      continue;
    }
    if (res.result() != http::status::ok) {
      error_ = ep.host + ":" + ep.port + path + ": HTTP " + std::to_string(res.result_int()) + " " +
               res.body().substr(0, 200);
      // An answer, if a refusal: the endpoint is up, another one would say the same.
      d.current = (d.current + attempt) % d.endpoints.size();
      return std::nullopt;
    }
    d.current = (d.current + attempt) % d.endpoints.size();
    error_.clear();
    return std::move(res.body());
  }
  return std::nullopt;
}

namespace {

std::optional<json> parse(const std::optional<std::string>& text, std::string& error) {
  if (!text) {
    return std::nullopt;
  }
  auto doc = json::parse(*text, nullptr, false);
  if (doc.is_discarded() || !doc.is_object()) {
    error = "etcd answered what is not a JSON object: " + text->substr(0, 200);
    return std::nullopt;
  }
  return doc;
}

} // namespace

std::optional<etcd_client::lease> etcd_client::grant(int64_t ttl_s) {
  auto doc = parse(call("/v3/lease/grant", json{{"TTL", std::to_string(ttl_s)}}.dump()), error_);
  if (!doc) {
    return std::nullopt;
  }
  lease out{int_field(*doc, "ID"), int_field(*doc, "TTL")};
  if (out.id == 0) {
    error_ = "lease grant: " + doc->dump().substr(0, 200);
    return std::nullopt;
  }
  return out;
}

std::optional<int64_t> etcd_client::keep_alive(int64_t lease_id) {
  // A streaming call on the gateway: one request in, one {"result": ...} out.
  auto doc =
      parse(call("/v3/lease/keepalive", json{{"ID", std::to_string(lease_id)}}.dump()), error_);
  if (!doc) {
    return std::nullopt;
  }
  auto result = doc->find("result");
  if (result == doc->end() || !result->is_object()) {
    error_ = "lease keepalive: " + doc->dump().substr(0, 200);
    return std::nullopt;
  }
  return int_field(*result, "TTL");
}

bool etcd_client::revoke(int64_t lease_id) {
  return parse(call("/v3/lease/revoke", json{{"ID", std::to_string(lease_id)}}.dump()), error_)
      .has_value();
}

std::optional<etcd_client::range_result> etcd_client::range_prefix(const std::string& prefix) {
  auto doc =
      parse(call("/v3/kv/range",
                 json{{"key", base64(prefix)}, {"range_end", base64(prefix_end(prefix))}}.dump()),
            error_);
  if (!doc) {
    return std::nullopt;
  }
  range_result out;
  if (auto header = doc->find("header"); header != doc->end() && header->is_object()) {
    out.revision = int_field(*header, "revision");
  }
  if (auto kvs = doc->find("kvs"); kvs != doc->end() && kvs->is_array()) {
    for (const auto& kv : *kvs) {
      out.kvs.push_back({unbase64(kv.value("key", "")), unbase64(kv.value("value", "")),
                         int_field(kv, "create_revision"), int_field(kv, "mod_revision"),
                         int_field(kv, "lease")});
    }
  }
  return out;
}

std::optional<int64_t> etcd_client::create(const std::string& key, const std::string& value,
                                           int64_t lease_id) {
  json txn = {{"compare", json::array({{{"key", base64(key)},
                                        {"target", "CREATE"},
                                        {"result", "EQUAL"},
                                        {"create_revision", "0"}}})},
              {"success", json::array({{{"request_put",
                                         {{"key", base64(key)},
                                          {"value", base64(value)},
                                          {"lease", std::to_string(lease_id)}}}}})}};
  auto doc = parse(call("/v3/kv/txn", txn.dump()), error_);
  if (!doc) {
    return std::nullopt;
  }
  if (!doc->value("succeeded", false)) {
    return int64_t{0};
  }
  auto header = doc->find("header");
  return header == doc->end() ? int64_t{0} : int_field(*header, "revision");
}

std::optional<bool> etcd_client::remove_if_created_at(const std::string& key,
                                                      int64_t create_revision) {
  json txn = {{"compare", json::array({{{"key", base64(key)},
                                        {"target", "CREATE"},
                                        {"result", "EQUAL"},
                                        {"create_revision", std::to_string(create_revision)}}})},
              {"success", json::array({{{"request_delete_range", {{"key", base64(key)}}}}})}};
  auto doc = parse(call("/v3/kv/txn", txn.dump()), error_);
  if (!doc) {
    return std::nullopt;
  }
  return doc->value("succeeded", false);
}

} // namespace switchyard::transport
