#pragma once
// A node that runs the program's agent kinds: what a program with agents links
// (switchyard_runtime) and calls. The stock `switchyard` binary is an app without kinds.
//
//   int main(int argc, char** argv) {
//     switchyard::app app{argc, argv};
//     app.add_kind<research::planner>();
//     return app.run();
//   }

#include <memory>
#include <string>
#include <vector>

#include <switchyard/agents/detail/kind_entry.hpp>

namespace switchyard {

class app {
public:
  app(int argc, char** argv);

  template <agents::agent_kind K> app& add_kind(agents::kind_options options = {}) {
    kinds_.push_back(std::make_shared<const agents::detail::kind_entry>(
        agents::detail::make_kind_entry<K>(options)));
    return *this;
  }

  /// Reads the configuration (defaults < file < environment < command line), starts the
  /// node with the kinds added and runs it until SIGINT or SIGTERM (the first drains, a
  /// second stops at once) or until its store fails beyond use. Returns the exit code.
  int run();

private:
  std::vector<std::string> args_;
  std::vector<std::shared_ptr<const agents::detail::kind_entry>> kinds_;
};

} // namespace switchyard
