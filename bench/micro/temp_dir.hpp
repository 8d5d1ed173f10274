#pragma once
// A fresh, empty directory under the system temp dir for a benchmark's LMDB store,
// removed with the object so repeated runs never grow the disk or reuse old data.

#include <filesystem>
#include <random>
#include <string>
#include <system_error>

namespace switchyard::bench {

class temp_dir {
public:
  temp_dir() {
    std::random_device rd;
    const auto base = std::filesystem::temp_directory_path();
    do {
      path_ = base / ("switchyard-microbench-" + std::to_string(rd()));
    } while (!std::filesystem::create_directory(path_));
  }
  ~temp_dir() {
    std::error_code ec; // best effort: a leftover temp dir must not abort the run
    std::filesystem::remove_all(path_, ec);
  }
  temp_dir(const temp_dir&) = delete;
  temp_dir& operator=(const temp_dir&) = delete;

  const std::filesystem::path& path() const { return path_; }

private:
  std::filesystem::path path_;
};

} // namespace switchyard::bench
