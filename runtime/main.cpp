// switchyard: starts one node and runs it until SIGINT or SIGTERM (the first drains the
// node, a second stops it at once), or until its store fails beyond use (then it stops
// cleanly and exits 1). A node without agent kinds: programs with kinds make their own
// switchyard::app.

#include "switchyard/app.hpp"

int main(int argc, char** argv) {
  return switchyard::app{argc, argv}.run();
}
