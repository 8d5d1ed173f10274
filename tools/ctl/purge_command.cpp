// purge: an admin purge of a topic or of a whole tenant (DELETE /admin/v1/topics/{topic}
// or /admin/v1/tenants/{tenant}). It deletes stored events for good, so it asks for
// --yes instead of a prompt a script could not answer.

#include "tools/ctl/commands.hpp"
#include "tools/ctl/ctl_error.hpp"
#include "tools/ctl/http_call.hpp"

#include <cstdio>

namespace switchyard::ctl {

int run_purge(const common_options& common, const purge_options& opts) {
  if (opts.topic.empty() == !opts.whole_tenant) {
    throw ctl_error("usage", "name a TOPIC, or --whole-tenant to purge every topic of --tenant");
  }
  if (!opts.yes) {
    throw ctl_error("usage", "a purge deletes stored events for good: add --yes");
  }
  const auto node = common.node();
  const auto answer =
      opts.whole_tenant
          ? http_json(node, "DELETE", "/admin/v1/tenants/" + percent_encode(opts.tenant))
          : http_json(node, "DELETE",
                      "/admin/v1/topics/" + percent_encode(opts.topic) +
                          "?tenant=" + percent_encode(opts.tenant));
  if (common.json) {
    std::printf("%s\n", answer.dump().c_str());
    return 0;
  }
  const auto counts = [&] {
    return std::to_string(answer.value("purged_events", 0ull)) + " events, " +
           std::to_string(answer.value("purged_idem", 0ull)) + " idem tokens, " +
           std::to_string(answer.value("purged_groups", 0ull)) + " queue groups";
  };
  if (opts.whole_tenant) {
    std::printf("purged tenant %s: %llu topics, %s\n", opts.tenant.c_str(),
                answer.value("topics", 0ull), counts().c_str());
  } else {
    std::printf("purged %s (tenant %s): %s; its last seq %llu stays\n", opts.topic.c_str(),
                opts.tenant.c_str(), counts().c_str(), answer.value("last_seq", 0ull));
  }
  return 0;
}

} // namespace switchyard::ctl
