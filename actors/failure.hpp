#pragma once
// Why an actor refused or failed a request, as a CAF error of the category `switchyard`.
// The connection turns each into a protocol error code for the client.

#include <cstdint>
#include <optional>
#include <string>

#include <caf/atom.hpp>
#include <caf/error.hpp>
#include <caf/make_message.hpp>

namespace switchyard::actors {

enum class failure : uint8_t {
  overloaded = 1,    ///< a bound was reached (topics.max_pending): retry shortly
  store_unavailable, ///< the store cannot write now (full, or a disk error)
  not_stored,        ///< the publish was dropped before the store saw it
  topic_unavailable, ///< the topic is cut off after repeated crashes
  stopping,          ///< the node is shutting down
  not_found,         ///< the thing named does not exist (or is not this client's)
  bad_request,       ///< the request contradicts what exists (the message says why)
  throttled,         ///< past a tenant limit (max_topics, max_groups): retry later
  not_owner,         ///< in a cluster: another node owns the topic's shard (the message names it)
};

inline constexpr caf::atom_value failure_category = caf::atom("switchyard");

inline caf::error make_failure(failure f, std::string message) {
  return caf::error(static_cast<uint8_t>(f), failure_category,
                    caf::make_message(std::move(message)));
}

/// A topic already holds topics.max_pending publishes waiting for the store.
inline caf::error topic_full(const std::string& topic) {
  return make_failure(failure::overloaded,
                      "topic '" + topic +
                          "' has topics.max_pending publishes waiting for the store; retry");
}

/// The failure an error carries; nullopt for CAF's own errors (a dead receiver...).
inline std::optional<failure> failure_of(const caf::error& err) {
  if (err.category() != failure_category) {
    return std::nullopt;
  }
  return static_cast<failure>(err.code());
}

/// The text given to make_failure, or `fallback` for other errors.
inline std::string failure_message(const caf::error& err, std::string fallback) {
  if (err.category() == failure_category && err.context().match_elements<std::string>()) {
    return err.context().get_as<std::string>(0);
  }
  return fallback;
}

} // namespace switchyard::actors
