#include "tools/ctl/progress_bar.hpp"

#include <algorithm>
#include <cstdio>
#include <utility>

#include <unistd.h>

namespace switchyard::ctl {

progress_bar::progress_bar(std::string label, uint64_t total, bool enabled)
    : label_(std::move(label)), total_(total), enabled_(enabled) {}

progress_bar::~progress_bar() {
  finish();
}

bool progress_bar::stderr_is_terminal() {
  return ::isatty(STDERR_FILENO) == 1;
}

void progress_bar::update(uint64_t done) {
  done_ = done;
  const auto now = std::chrono::steady_clock::now();
  if (enabled_ && now - last_draw_ >= std::chrono::milliseconds(100)) {
    last_draw_ = now;
    draw();
  }
}

void progress_bar::finish() {
  if (!enabled_ || finished_) {
    return;
  }
  finished_ = true;
  draw();
  std::fputc('\n', stderr);
  std::fflush(stderr);
}

void progress_bar::draw() {
  if (total_ == 0) {
    std::fprintf(stderr, "\r%s %llu", label_.c_str(), static_cast<unsigned long long>(done_));
  } else {
    constexpr int width = 30;
    const uint64_t done = std::min(done_, total_);
    const int filled = static_cast<int>(done * width / total_);
    std::fprintf(stderr, "\r%s [%.*s%*s] %3d%% %llu/%llu", label_.c_str(), filled,
                 "##############################", width - filled, "",
                 static_cast<int>(done * 100 / total_), static_cast<unsigned long long>(done),
                 static_cast<unsigned long long>(total_));
  }
  std::fflush(stderr);
}

} // namespace switchyard::ctl
