#include "tools/ctl/http_call.hpp"

#include "tools/ctl/ctl_error.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

namespace switchyard::ctl {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;

nlohmann::json http_json(const node_endpoint& node, std::string_view method,
                         const std::string& target, const std::string& body) {
  http::response<http::string_body> res;
  try {
    net::io_context io;
    net::ip::tcp::resolver resolver(io);
    beast::tcp_stream stream(io);
    stream.expires_after(std::chrono::seconds(60));
    stream.connect(resolver.resolve(node.host, node.port));
    http::request<http::string_body> req(http::string_to_verb({method.data(), method.size()}),
                                         target, 11);
    req.set(http::field::host, node.host_port());
    req.set(http::field::user_agent, "switchyard-ctl");
    if (!node.token.empty()) {
      req.set(http::field::authorization, "Bearer " + node.token);
    }
    if (!body.empty()) {
      req.set(http::field::content_type, "application/json");
      req.body() = body;
    }
    req.prepare_payload();
    http::write(stream, req);
    beast::flat_buffer buffer;
    http::response_parser<http::string_body> parser;
    parser.body_limit(256u << 20);
    http::read(stream, buffer, parser);
    res = parser.release();
    beast::error_code ignored;
    stream.socket().shutdown(net::ip::tcp::socket::shutdown_both, ignored);
  } catch (const boost::system::system_error& e) {
    throw ctl_error("connect", "http://" + node.host_port() + target + ": " + e.code().message());
  }
  auto answer = nlohmann::json::parse(res.body(), nullptr, false);
  if (answer.is_discarded()) {
    throw ctl_error("internal", "HTTP " + std::to_string(res.result_int()) + " from " + target +
                                    " without a JSON body");
  }
  if (answer.is_object() && answer.contains("error")) {
    throw ctl_error::from_node(answer["error"]);
  }
  if (res.result_int() / 100 != 2) {
    throw ctl_error("internal", "HTTP " + std::to_string(res.result_int()) + " from " + target);
  }
  return answer;
}

std::string percent_encode(std::string_view text) {
  static constexpr char hex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : text) {
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
        c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  return out;
}

} // namespace switchyard::ctl
