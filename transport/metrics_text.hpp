#pragma once
// Internal: the node's metrics in the Prometheus text exposition format (version 0.0.4).

#include <string>

namespace switchyard::actors {
struct node_context;
}

namespace switchyard::transport {

/// Every switchyard_* metric of the node. Label sets are bounded: no per-topic labels,
/// and per-tenant ones for the first metrics.max_tenant_labels tenants only (the rest
/// are summed under tenant="_other").
std::string metrics_text(const actors::node_context& ctx, bool draining);

} // namespace switchyard::transport
