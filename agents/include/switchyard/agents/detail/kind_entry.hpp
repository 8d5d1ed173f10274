#pragma once
// Internal: a registered kind as the node keeps it: its name, options, and how to make
// a fresh session of it.

#include "switchyard/agents/kind.hpp"

#include <functional>
#include <memory>
#include <string>

namespace switchyard::agents::detail {

struct kind_entry {
  std::string name;
  kind_options options;
  std::function<std::unique_ptr<session_kind>()> make;
};

template <agent_kind K> kind_entry make_kind_entry(kind_options options) {
  return {std::string{K::name}, options, [] { return std::make_unique<kind_binding<K>>(); }};
}

} // namespace switchyard::agents::detail
