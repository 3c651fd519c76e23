#include "bench_machine.h"

#include <immintrin.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <memory>
#include <vector>

#include "backend/cpu/cpu_features.h"
#include "backend/cpu/thread_pool.h"

namespace dsv4::cli {
namespace {

using Clock = std::chrono::steady_clock;

// Read loops per ISA; compiled with target attributes and only called when the CPU has them.
__attribute__((target("avx512f"))) uint64_t read_avx512(const uint8_t *p, size_t n) {
  __m512i acc0 = _mm512_setzero_si512(), acc1 = acc0, acc2 = acc0, acc3 = acc0;
  for (size_t i = 0; i + 256 <= n; i += 256) {
    acc0 = _mm512_xor_si512(acc0, _mm512_load_si512(p + i));
    acc1 = _mm512_xor_si512(acc1, _mm512_load_si512(p + i + 64));
    acc2 = _mm512_xor_si512(acc2, _mm512_load_si512(p + i + 128));
    acc3 = _mm512_xor_si512(acc3, _mm512_load_si512(p + i + 192));
  }
  const __m512i x = _mm512_xor_si512(_mm512_xor_si512(acc0, acc1), _mm512_xor_si512(acc2, acc3));
  alignas(64) uint64_t out[8];
  _mm512_store_si512(out, x);
  return out[0] ^ out[7];
}

__attribute__((target("avx2"))) uint64_t read_avx2(const uint8_t *p, size_t n) {
  __m256i acc0 = _mm256_setzero_si256(), acc1 = acc0, acc2 = acc0, acc3 = acc0;
  for (size_t i = 0; i + 128 <= n; i += 128) {
    acc0 = _mm256_xor_si256(acc0, _mm256_load_si256(reinterpret_cast<const __m256i *>(p + i)));
    acc1 = _mm256_xor_si256(acc1, _mm256_load_si256(reinterpret_cast<const __m256i *>(p + i + 32)));
    acc2 = _mm256_xor_si256(acc2, _mm256_load_si256(reinterpret_cast<const __m256i *>(p + i + 64)));
    acc3 = _mm256_xor_si256(acc3, _mm256_load_si256(reinterpret_cast<const __m256i *>(p + i + 96)));
  }
  const __m256i x = _mm256_xor_si256(_mm256_xor_si256(acc0, acc1), _mm256_xor_si256(acc2, acc3));
  alignas(32) uint64_t out[4];
  _mm256_store_si256(reinterpret_cast<__m256i *>(out), x);
  return out[0] ^ out[3];
}

uint64_t read_scalar(const uint8_t *p, size_t n) {
  uint64_t acc = 0;
  for (size_t i = 0; i + 8 <= n; i += 8) {
    uint64_t v;
    std::memcpy(&v, p + i, 8);
    acc ^= v;
  }
  return acc;
}

uint64_t read_block(const uint8_t *p, size_t n) {
  const CpuFeatures &f = cpu_features();
  if (f.avx512f) return read_avx512(p, n);
  if (f.avx2) return read_avx2(p, n);
  return read_scalar(p, n);
}

__attribute__((target("avx512f,fma"))) double fma_loop_avx512(int64_t iters) {
  __m512 a[10];
  for (int i = 0; i < 10; ++i) a[i] = _mm512_set1_ps(1.0f + i * 1e-3f);
  const __m512 b = _mm512_set1_ps(0.999999f), c = _mm512_set1_ps(1e-7f);
  for (int64_t it = 0; it < iters; ++it)
    for (int i = 0; i < 10; ++i) a[i] = _mm512_fmadd_ps(a[i], b, c);
  float s = 0;
  for (int i = 0; i < 10; ++i) s += _mm512_reduce_add_ps(a[i]);
  return s;
}

__attribute__((target("avx2,fma"))) double fma_loop_avx2(int64_t iters) {
  __m256 a[10];
  for (int i = 0; i < 10; ++i) a[i] = _mm256_set1_ps(1.0f + i * 1e-3f);
  const __m256 b = _mm256_set1_ps(0.999999f), c = _mm256_set1_ps(1e-7f);
  for (int64_t it = 0; it < iters; ++it)
    for (int i = 0; i < 10; ++i) a[i] = _mm256_fmadd_ps(a[i], b, c);
  alignas(32) float out[8];
  float s = 0;
  for (int i = 0; i < 10; ++i) {
    _mm256_store_ps(out, a[i]);
    s += out[0];
  }
  return s;
}

__attribute__((target("avx512f,avx512bw,avx512vnni"))) double vnni_loop_avx512(int64_t iters) {
  __m512i a[10];
  for (int i = 0; i < 10; ++i) a[i] = _mm512_set1_epi32(i);
  const __m512i u = _mm512_set1_epi8(3), s8 = _mm512_set1_epi8(-2);
  for (int64_t it = 0; it < iters; ++it)
    for (int i = 0; i < 10; ++i) a[i] = _mm512_dpbusd_epi32(a[i], u, s8);
  int64_t s = 0;
  for (int i = 0; i < 10; ++i) s += _mm512_reduce_add_epi32(a[i]);
  return static_cast<double>(s);
}

__attribute__((target("avx2"))) double maddubs_loop_avx2(int64_t iters) {
  __m256i a[10];
  for (int i = 0; i < 10; ++i) a[i] = _mm256_set1_epi32(i);
  const __m256i u = _mm256_set1_epi8(3), s8 = _mm256_set1_epi8(-2), ones = _mm256_set1_epi16(1);
  for (int64_t it = 0; it < iters; ++it)
    for (int i = 0; i < 10; ++i)
      a[i] = _mm256_add_epi32(a[i], _mm256_madd_epi16(_mm256_maddubs_epi16(u, s8), ones));
  alignas(32) int32_t out[8];
  int64_t s = 0;
  for (int i = 0; i < 10; ++i) {
    _mm256_store_si256(reinterpret_cast<__m256i *>(out), a[i]);
    s += out[0];
  }
  return static_cast<double>(s);
}

// Best of 5 passes reading `bytes` (split over the threads, each first-touching its part).
double measure_read_bandwidth_gb_s(ThreadPool &pool, uint64_t bytes) {
  const int nt = pool.size();
  const size_t per = (bytes / nt) & ~size_t{4095};
  std::vector<std::unique_ptr<uint8_t, decltype(&std::free)>> bufs;
  for (int i = 0; i < nt; ++i) bufs.emplace_back(static_cast<uint8_t *>(std::aligned_alloc(4096, per)), &std::free);
  // First touch by the thread that reads it later.
  pool.run([&](int i) { std::memset(bufs[static_cast<size_t>(i)].get(), i + 1, per); });
  std::atomic<uint64_t> sink{0};
  double best = 0;
  for (int pass = 0; pass < 5; ++pass) {
    const auto t0 = Clock::now();
    pool.run([&](int i) { sink ^= read_block(bufs[static_cast<size_t>(i)].get(), per); });
    const double s = std::chrono::duration<double>(Clock::now() - t0).count();
    best = std::max(best, static_cast<double>(per) * nt / s / 1e9);
  }
  return best;
}

}  // namespace

void BandwidthSamples::sample() {
  ThreadPool pool(n_threads_);
  gb_s_.push_back(measure_read_bandwidth_gb_s(pool, uint64_t{512} << 20));
}

double BandwidthSamples::median() const {
  if (gb_s_.empty()) return 0;
  std::vector<double> v = gb_s_;
  std::sort(v.begin(), v.end());
  const size_t m = v.size() / 2;
  return v.size() % 2 ? v[m] : (v[m - 1] + v[m]) / 2;
}
double BandwidthSamples::min() const { return gb_s_.empty() ? 0 : *std::min_element(gb_s_.begin(), gb_s_.end()); }
double BandwidthSamples::max() const { return gb_s_.empty() ? 0 : *std::max_element(gb_s_.begin(), gb_s_.end()); }

double measure_peak_gflop_s(ThreadPool &pool, bool int8) {
  const CpuFeatures &f = cpu_features();
  const int64_t iters = 20'000'000;
  // Operations per loop iteration: 10 instructions × lanes × (2 per FMA, or 2 per int8 MAC).
  double ops_per_iter;
  std::function<double(int64_t)> loop;
  if (int8 && f.avx512vnni && f.avx512bw) {
    ops_per_iter = 10.0 * 64 * 2;
    loop = vnni_loop_avx512;
  } else if (int8 && f.avx2) {
    ops_per_iter = 10.0 * 32 * 2;
    loop = maddubs_loop_avx2;
  } else if (f.avx512f) {
    ops_per_iter = 10.0 * 16 * 2;
    loop = fma_loop_avx512;
  } else if (f.avx2 && f.fma) {
    ops_per_iter = 10.0 * 8 * 2;
    loop = fma_loop_avx2;
  } else {
    return 0.0;
  }
  std::atomic<uint64_t> sink{0};
  double best = 0;
  for (int pass = 0; pass < 3; ++pass) {
    const auto t0 = Clock::now();
    pool.run([&](int) { sink += static_cast<uint64_t>(loop(iters)); });
    const double s = std::chrono::duration<double>(Clock::now() - t0).count();
    best = std::max(best, ops_per_iter * iters * pool.size() / s / 1e9);
  }
  return best;
}

}  // namespace dsv4::cli
