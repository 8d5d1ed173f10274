#pragma once
// The slow_down level of a use against its limit, with hysteresis: level 1 from 80 %,
// level 2 at 100 %, back to 0 under 60 %; in between the level only goes down.

#include <algorithm>

namespace switchyard::actors {

/// `used`: the fraction of the limit in use; `current`: the level last reported.
inline int slow_down_level(double used, int current) {
  return used >= 1.0 ? 2 : used >= 0.8 ? 1 : used >= 0.6 ? std::min(current, 1) : 0;
}

} // namespace switchyard::actors
