#include "switchyard/agents/context.hpp"

namespace switchyard::agents {

target target::group(std::string name) {
  return {"jobs/" + name, std::move(name)};
}

target target::agent(std::string_view kind, std::string_view key) {
  return {"agents/" + std::string{kind} + "/" + std::string{key}, {}};
}

} // namespace switchyard::agents
