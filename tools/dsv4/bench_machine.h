// Limits measured in the same run as a benchmark: read bandwidth (decode is memory-bound) and
// peak arithmetic of the kernel family prefill uses (prefill is compute-bound).
#pragma once

#include <cstdint>

namespace dsv4 {
class ThreadPool;

namespace cli {

// Best of several passes reading a buffer much larger than the caches with every thread.
double measure_read_bandwidth_gb_s(ThreadPool &pool, uint64_t bytes = uint64_t{1} << 30);

// Peak multiply-adds of the widest available SIMD unit, counted as 2 operations each:
// f32 FMA for the exact path, int8 dot-product instructions (VNNI / AVX2 maddubs) for int8.
double measure_peak_gflop_s(ThreadPool &pool, bool int8);

}  // namespace cli
}  // namespace dsv4
