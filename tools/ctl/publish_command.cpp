// publish: one event through the HTTP API (POST /api/v1/publish).

#include "tools/ctl/commands.hpp"
#include "tools/ctl/ctl_error.hpp"
#include "tools/ctl/http_call.hpp"

#include <cstdio>

namespace switchyard::ctl {

int run_publish(const common_options& common, const publish_options& opts) {
  auto data = nlohmann::json::parse(opts.data, nullptr, false);
  if (data.is_discarded()) {
    throw ctl_error("usage",
                    "data must be a JSON value; quote text as JSON: '\"" + opts.data + "\"'");
  }
  nlohmann::json body = {{"topic", opts.topic}, {"data", std::move(data)}};
  if (!opts.key.empty()) {
    body["key"] = opts.key;
  }
  if (!opts.idem.empty()) {
    body["idem"] = opts.idem;
  }
  if (opts.ttl_ms) {
    body["ttl_ms"] = *opts.ttl_ms;
  }
  const auto ok = http_json(common.node(), "POST", "/api/v1/publish", body.dump());
  if (common.json) {
    std::printf("%s\n", ok.dump().c_str());
  } else {
    std::printf("seq %llu%s\n", ok.value("seq", 0ull),
                ok.value("dup", false) ? " (duplicate: stored before with this idem)" : "");
  }
  return 0;
}

} // namespace switchyard::ctl
