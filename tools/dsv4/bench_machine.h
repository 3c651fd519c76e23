// Limits measured in the same run as a benchmark: read bandwidth (decode is memory-bound) and
// peak arithmetic of the kernel family prefill uses (prefill is compute-bound).
#pragma once

#include <cstdint>
#include <vector>

namespace dsv4 {
class ThreadPool;

namespace cli {

// Read bandwidth (best of several passes reading a buffer much larger than the caches with
// every thread), repeated during a benchmark: the read bandwidth of a shared machine moves
// by a factor of two within seconds, so the limit a timed run is compared with is sampled next to
// it (before and after every repetition) rather than once.
class BandwidthSamples {
 public:
  explicit BandwidthSamples(int n_threads) : n_threads_(n_threads) {}
  // One measurement (512 MiB, best of its passes) on a pool of its own that is gone before the
  // benchmark resumes (idle spinning workers would take cores from it).
  void sample();
  double median() const;
  double min() const;
  double max() const;
  int count() const { return static_cast<int>(gb_s_.size()); }

 private:
  int n_threads_;
  std::vector<double> gb_s_;
};

// Peak multiply-adds of the widest available SIMD unit, counted as 2 operations each:
// f32 FMA for the exact path, int8 dot-product instructions (VNNI / AVX2 maddubs) for int8.
double measure_peak_gflop_s(ThreadPool &pool, bool int8);

}  // namespace cli
}  // namespace dsv4
