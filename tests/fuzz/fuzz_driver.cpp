// A small stand-in for libFuzzer where the compiler has none (g++): mutates seed inputs
// with a fixed-seed generator and feeds them to LLVMFuzzerTestOneInput. Runs in CTest
// as a bounded smoke fuzz; for coverage-guided fuzzing build the target with clang and
// -DSWITCHYARD_LIBFUZZER=ON instead.
//
// usage: fuzz_driver [iterations] [seed]   (progress on stderr)
//        fuzz_driver --write-seeds DIR      (the seeds as files: libFuzzer's starting corpus,
//                                            tests/fuzz/corpus/<target>)

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

/// The seed inputs, defined by each fuzz target next to LLVMFuzzerTestOneInput.
std::vector<std::string> fuzz_seeds();
/// Optional: releases what the target set up (called once, after the last input).
__attribute__((weak)) void fuzz_teardown();

namespace {

struct rng {
  uint64_t state;
  uint64_t next() {
    state ^= state << 13;
    state ^= state >> 7;
    state ^= state << 17;
    return state;
  }
  std::size_t below(std::size_t n) { return n == 0 ? 0 : next() % n; }
};

std::string mutate(rng& r, const std::vector<std::string>& corpus) {
  auto s = corpus[r.below(corpus.size())];
  auto rounds = 1 + r.below(4);
  for (std::size_t i = 0; i < rounds; ++i) {
    auto pos = r.below(s.size() + 1);
    switch (r.below(6)) {
    case 0: // flip a byte
      if (!s.empty()) {
        s[r.below(s.size())] = static_cast<char>(r.next());
      }
      break;
    case 1: // insert a random byte
      s.insert(pos, 1, static_cast<char>(r.next()));
      break;
    case 2: // erase a range
      s.erase(pos, r.below(8));
      break;
    case 3: // duplicate a range
      s.insert(pos, s.substr(r.below(s.size() + 1), r.below(16)));
      break;
    case 4: // splice in another seed
      s.insert(pos, corpus[r.below(corpus.size())]);
      break;
    default: // an interesting byte: container headers, quotes, newline
      s.insert(pos, 1, "\xdc\xdd\xde\xdf\x9f\x8f\"{[\n\\"[r.below(11)]);
      break;
    }
  }
  return s;
}

} // namespace

int main(int argc, char** argv) {
  if (argc == 3 && std::string(argv[1]) == "--write-seeds") {
    const auto seeds = fuzz_seeds();
    for (std::size_t i = 0; i < seeds.size(); ++i) {
      const auto path = std::string(argv[2]) + "/seed-" + std::to_string(i);
      FILE* f = std::fopen(path.c_str(), "wb");
      if (f == nullptr || std::fwrite(seeds[i].data(), 1, seeds[i].size(), f) != seeds[i].size()) {
        std::fprintf(stderr, "cannot write %s\n", path.c_str());
        return 1;
      }
      std::fclose(f);
    }
    std::printf("fuzz: %zu seeds written to %s\n", seeds.size(), argv[2]);
    return 0;
  }
  long iterations = argc > 1 ? std::strtol(argv[1], nullptr, 10) : 100000;
  rng r{argc > 2 ? std::strtoull(argv[2], nullptr, 10) : 0x5eed5eedULL};
  auto corpus = fuzz_seeds();
  for (const auto& s : corpus) {
    LLVMFuzzerTestOneInput(reinterpret_cast<const uint8_t*>(s.data()), s.size());
  }
  for (long i = 1; i <= iterations; ++i) {
    auto input = mutate(r, corpus);
    LLVMFuzzerTestOneInput(reinterpret_cast<const uint8_t*>(input.data()), input.size());
    if (i % std::max(1L, iterations / 5) == 0) {
      std::fprintf(stderr, "fuzz: %ld/%ld inputs\n", i, iterations);
    }
  }
  if (fuzz_teardown != nullptr) {
    fuzz_teardown();
  }
  std::printf("fuzz: %ld inputs, no crash\n", iterations);
  return 0;
}
