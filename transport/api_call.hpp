#pragma once
// Internal: one HTTP API request run as a one-shot protocol session. A connection actor
// gets `connect` (with the caller's bearer token) and the request in one frame, exactly
// as a WebSocket client would send them, so the HTTP API follows every rule of the
// WebSocket protocol (auth, rights, tenant limits and breakers, retention, errors)
// without a second implementation of any of them.

#include "transport/http_router.hpp"

#include <optional>
#include <string>

#include <nlohmann/json_fwd.hpp>

namespace switchyard::transport {

/// Sends `request` (a protocol message without `id`) for a caller with `token` (none, or
/// auth.mode none: connect without one) and answers `respond` with its `ok` object (200) or its
/// error (the status PROTOCOL.md gives the code, `Retry-After` when it has retry_after_ms).
void run_api_call(actors::node_context& ctx, const std::optional<std::string>& token,
                  nlohmann::json request, http_router::respond_fn respond);

} // namespace switchyard::transport
