#pragma once
// Internal: picking the encoding from the WebSocket subprotocols a client offers.

#include "protocol/message.hpp"

#include <string>
#include <string_view>

namespace switchyard::transport {

/// The first known subprotocol in the client's comma-separated offer wins. No offer
/// means JSON; an offer of only unknown ones is refused (returns false).
bool negotiate(std::string_view offered, protocol::encoding& enc, std::string& chosen);

} // namespace switchyard::transport
