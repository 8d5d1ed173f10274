// The research sample's node: a full Switchyard node that also runs the three kinds.
// Same options as the stock binary (--port, --data-dir, ...).

#include "research.hpp"

#include <switchyard/app.hpp>

int main(int argc, char** argv) {
  using namespace std::chrono_literals;
  switchyard::app app{argc, argv};
  app.add_kind<research::planner>({.idle = 10min});
  app.add_kind<research::researcher>({.idle = 1min});
  app.add_kind<research::writer>({.idle = 1min});
  return app.run();
}
