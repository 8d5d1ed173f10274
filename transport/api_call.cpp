#include "transport/api_call.hpp"

#include "actors/connection_handle.hpp"
#include "actors/connection_sink.hpp"
#include "actors/node_context.hpp"
#include "protocol/message.hpp"

#include <memory>
#include <utility>

#include <nlohmann/json.hpp>

namespace switchyard::transport {

namespace {

constexpr int64_t connect_id = 0;
constexpr int64_t request_id = 1;

/// The HTTP answer of one protocol reply ({"id":..,"ok":..} or {"id":..,"error":..}).
http_reply reply_of(const nlohmann::json& msg) {
  if (auto ok = msg.find("ok"); ok != msg.end()) {
    return {http::status::ok, ok->dump() + "\n", "application/json"};
  }
  const auto& error = msg.at("error");
  http_reply reply{status_of(error.value("code", std::string{protocol::error_code::internal})),
                   nlohmann::json{{"error", error}}.dump() + "\n", "application/json"};
  if (auto retry = error.find("retry_after_ms"); retry != error.end() && retry->is_number()) {
    reply.headers.emplace_back("Retry-After", retry_after_seconds(retry->get<int64_t>()));
  }
  return reply;
}

/// The socket side of the one-shot session: takes the replies, answers the HTTP caller
/// once, then lets the connection go. It keeps itself alive until then (the actor only
/// holds it weakly); every call comes from the connection actor, one at a time.
class api_call final : public actors::connection_sink,
                       public std::enable_shared_from_this<api_call> {
public:
  explicit api_call(http_router::respond_fn respond) : respond_(std::move(respond)) {}

  void start(actors::node_context& ctx, const std::string& frame) {
    self_ = shared_from_this();
    handle_ = actors::connection_handle::spawn(ctx, protocol::encoding::json, weak_from_this(),
                                               "http-api");
    handle_.frame(frame);
  }

  void write(actors::outbound_frame frame) override {
    auto keep = shared_from_this();
    for (const auto& part : frame.parts) {
      if (!respond_ || take(*part)) {
        return;
      }
    }
  }
  std::size_t backlog() const override { return 0; }
  void notify_when_drained() override {}
  void frame_done(std::size_t) override {}
  void keep_alive_within(int64_t) override {}
  void close(uint16_t, std::string reason) override {
    auto keep = shared_from_this();
    finish(http_error(protocol::error_code::unavailable, "the call was cut off: " + reason));
  }

private:
  /// One message from the actor; true once the caller is answered.
  bool take(const std::string& text) {
    auto msg = nlohmann::json::parse(text, nullptr, false);
    if (msg.is_discarded() || !msg.is_object() || msg.contains("push")) {
      return false;
    }
    const auto id = msg.value("id", int64_t{-1});
    if (id == connect_id) {
      if (msg.contains("error")) {
        refused_ = std::move(msg); // the request then gets not_connected: report this instead
      }
      return false;
    }
    finish(refused_.is_null() ? reply_of(msg) : reply_of(refused_));
    return true;
  }

  void finish(http_reply reply) {
    if (!respond_) {
      return;
    }
    std::exchange(respond_, nullptr)(std::move(reply));
    handle_.closed(actors::connection_handle::hangup::by_peer);
    self_.reset();
  }

  http_router::respond_fn respond_;
  actors::connection_handle handle_;
  nlohmann::json refused_;
  std::shared_ptr<api_call> self_;
};

} // namespace

void run_api_call(actors::node_context& ctx, const std::optional<std::string>& token,
                  nlohmann::json request, http_router::respond_fn respond) {
  nlohmann::json connect{{"op", "connect"}, {"id", connect_id}, {"client", "http-api"}};
  // auth.mode none allows everything on loopback (PROTOCOL.md, HTTP API): a token there is
  // not read, as admin calls do not read it either.
  if (token && ctx.auth.jwt) {
    connect["token"] = *token;
  }
  request["id"] = request_id;
  auto call = std::make_shared<api_call>(std::move(respond));
  call->start(ctx, connect.dump() + "\n" + request.dump());
}

} // namespace switchyard::transport
