#include "tools/ctl/ws_link.hpp"

#include "tools/ctl/ctl_error.hpp"

#include <string>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>
#include <msgpack.hpp>

namespace switchyard::ctl {

namespace beast = boost::beast;
namespace net = boost::asio;
namespace websocket = beast::websocket;

struct ws_link::socket {
  net::io_context io;
  websocket::stream<net::ip::tcp::socket> ws{io};
};

namespace {

[[noreturn]] void lost(const node_endpoint& node, const boost::system::system_error& e) {
  throw ctl_error("connect", "ws://" + node.host_port() + "/ws: " + e.code().message());
}

} // namespace

ws_link::ws_link(const node_endpoint& node, wire encoding)
    : socket_(std::make_unique<socket>()), encoding_(encoding) {
  try {
    net::ip::tcp::resolver resolver(socket_->io);
    net::connect(socket_->ws.next_layer(), resolver.resolve(node.host, node.port));
    socket_->ws.set_option(
        websocket::stream_base::decorator([encoding](websocket::request_type& req) {
          req.set(beast::http::field::user_agent, "switchyard-ctl");
          if (encoding == wire::msgpack) {
            req.set(beast::http::field::sec_websocket_protocol, "switchyard.v1.msgpack");
          }
        }));
    socket_->ws.read_message_max(256u << 20);
    socket_->ws.handshake(node.host_port(), "/ws");
    socket_->ws.binary(encoding == wire::msgpack);
  } catch (const boost::system::system_error& e) {
    lost(node, e);
  }
  nlohmann::json connect = {{"op", "connect"}, {"client", "switchyard-ctl"}};
  if (!node.token.empty()) {
    connect["token"] = node.token;
  }
  auto ok = call(std::move(connect));
  if (auto limits = ok.find("limits"); limits != ok.end() && limits->contains("max_frame_bytes")) {
    max_frame_bytes_ = (*limits)["max_frame_bytes"].get<std::size_t>();
  }
}

ws_link::~ws_link() {
  beast::error_code ignored;
  socket_->ws.close(websocket::close_code::normal, ignored);
}

nlohmann::json ws_link::call(nlohmann::json op) {
  const uint64_t id = next_id();
  op["id"] = id;
  send({op});
  std::deque<nlohmann::json> pushes;
  for (;;) {
    auto message = next_message();
    if (!message.contains("id") || message["id"] != id) {
      pushes.push_back(std::move(message));
      continue;
    }
    kept_.insert(kept_.begin(), pushes.begin(), pushes.end());
    if (message.contains("error")) {
      throw ctl_error::from_node(message["error"]);
    }
    return std::move(message["ok"]);
  }
}

void ws_link::send(const std::vector<nlohmann::json>& messages) {
  std::string frame;
  for (const auto& m : messages) {
    if (encoding_ == wire::msgpack) {
      nlohmann::json::to_msgpack(m, frame);
    } else {
      frame += m.dump();
      frame += '\n';
    }
  }
  try {
    socket_->ws.write(net::buffer(frame));
  } catch (const boost::system::system_error& e) {
    throw ctl_error("connect", "sending to the node: " + e.code().message());
  }
}

std::size_t ws_link::encoded_size(const nlohmann::json& message) const {
  return encoding_ == wire::msgpack ? nlohmann::json::to_msgpack(message).size()
                                    : message.dump().size() + 1;
}

nlohmann::json ws_link::next_message() {
  while (kept_.empty()) {
    beast::flat_buffer buffer;
    try {
      socket_->ws.read(buffer);
    } catch (const boost::system::system_error& e) {
      const auto reason = socket_->ws.reason();
      throw ctl_error("connect", "the node closed the connection: " +
                                     (reason.code != 0 ? std::to_string(reason.code) + " " +
                                                             std::string(reason.reason.c_str())
                                                       : e.code().message()));
    }
    const auto* data = static_cast<const char*>(buffer.data().data());
    const std::size_t size = buffer.size();
    try {
      if (encoding_ == wire::msgpack) {
        // Messages are MessagePack maps back to back: find each one's end, then convert.
        std::size_t offset = 0;
        while (offset < size) {
          const std::size_t start = offset;
          msgpack::unpack(data, size, offset);
          kept_.push_back(nlohmann::json::from_msgpack(data + start, data + offset));
        }
      } else {
        std::string_view text(data, size);
        while (!text.empty()) {
          auto end = text.find('\n');
          auto line = text.substr(0, end);
          if (!line.empty()) {
            kept_.push_back(nlohmann::json::parse(line));
          }
          text.remove_prefix(end == std::string_view::npos ? text.size() : end + 1);
        }
      }
    } catch (const std::exception& e) {
      throw ctl_error("internal",
                      std::string("a frame from the node does not decode: ") + e.what());
    }
  }
  auto message = std::move(kept_.front());
  kept_.pop_front();
  return message;
}

} // namespace switchyard::ctl
