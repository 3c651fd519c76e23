// Internal helpers of the AVX2 kernel files (compiled with -mavx2 -mfma -mf16c only). Everything
// has internal linkage (anonymous namespace), so no AVX2 code can be merged into a function that a
// baseline file also defines.
#pragma once

#include <immintrin.h>

#include <cstdint>
#include <cstring>

namespace dsv4::cpu {
namespace {
namespace v256 {

inline uint16_t ld16(const uint8_t *p) {
  uint16_t v;
  std::memcpy(&v, p, 2);
  return v;
}
inline uint32_t ld32(const uint8_t *p) {
  uint32_t v;
  std::memcpy(&v, p, 4);
  return v;
}
inline float fp16(const uint8_t *p) { return _cvtsh_ss(ld16(p)); }
inline float bits_f32(uint32_t b) {
  float f;
  std::memcpy(&f, &b, 4);
  return f;
}
inline float e8m0_half(uint8_t e) {
  return bits_f32(e >= 2 ? static_cast<uint32_t>(e - 1) << 23 : (e == 1 ? 0x00400000u : 0x00200000u));
}
// The eight 6-bit scales (byte s of .sc) and mins (.mn) of Q4_K/Q5_K (ggml-formats.md §2.10),
// computed in registers (no byte stores that a vector load would have to wait for).
struct ScaleMin {
  uint64_t sc, mn;
  int scale(int s) const { return static_cast<int>((sc >> (8 * s)) & 0xFF); }
  int min(int s) const { return static_cast<int>((mn >> (8 * s)) & 0xFF); }
};
inline ScaleMin scale_min_k4(const uint8_t *p) {
  const uint32_t a = ld32(p), b = ld32(p + 4), c = ld32(p + 8);
  const uint32_t s_lo = a & 0x3F3F3F3Fu, m_lo = b & 0x3F3F3F3Fu;
  const uint32_t s_hi = (c & 0x0F0F0F0Fu) | (((a >> 6) & 0x03030303u) << 4);
  const uint32_t m_hi = ((c >> 4) & 0x0F0F0F0Fu) | (((b >> 6) & 0x03030303u) << 4);
  return {s_lo | static_cast<uint64_t>(s_hi) << 32, m_lo | static_cast<uint64_t>(m_hi) << 32};
}

// The sixteen 6-bit scales of Q3_K (§2.9) plus 32 (0..63), scale k in byte k of lo (k < 8) or
// hi (k >= 8); the signed scale is the byte minus 32.
struct Q3Scales {
  uint64_t lo, hi;
  int scale(int k) const { return static_cast<int>(((k < 8 ? lo : hi) >> (8 * (k % 8))) & 0xFF) - 32; }
};
inline Q3Scales scales_q3_k(const uint8_t *sc) {
  uint64_t a;
  std::memcpy(&a, sc, 8);
  const uint64_t c = ld32(sc + 8);
  const uint64_t m4 = 0x0F0F0F0F0F0F0F0Full, m2 = 0x03030303u;
  const uint64_t h_lo = (c & m2) | ((c >> 2) & m2) << 32;         // k = 0..7
  const uint64_t h_hi = ((c >> 4) & m2) | ((c >> 6) & m2) << 32;  // k = 8..15
  return {(a & m4) | h_lo << 4, ((a >> 4) & m4) | h_hi << 4};
}

// 8 bytes -> 8 int32 lanes (zero-extended).
inline __m256i u8x8(const uint8_t *p) { return _mm256_cvtepu8_epi32(_mm_loadl_epi64(reinterpret_cast<const __m128i *>(p))); }
inline __m256i srl32(__m256i v, int k) { return _mm256_srl_epi32(v, _mm_cvtsi32_si128(k)); }
inline __m256i srl16(__m256i v, int k) { return _mm256_srl_epi16(v, _mm_cvtsi32_si128(k)); }
inline float hsum(__m256 v) {
  const __m128 a = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  const __m128 b = _mm_add_ps(a, _mm_movehl_ps(a, a));
  return _mm_cvtss_f32(_mm_add_ss(b, _mm_movehdup_ps(b)));
}

// Exact-path accumulators: two per token, alternating by the parity the kernel passes, so a
// token's sum does not depend on how many tokens share the pass.
template <int NT>
struct AccF32 {
  __m256 a[NT][2];
  const float *const *x;
  explicit AccF32(const float *const *xs) : x(xs) {
    for (int t = 0; t < NT; ++t) a[t][0] = a[t][1] = _mm256_setzero_ps();
  }
  // P is a template argument so the accumulators stay in registers (never indexed at run time).
  template <int P>
  inline void add(int64_t i, __m256 w) {
    for (int t = 0; t < NT; ++t) a[t][P] = _mm256_fmadd_ps(w, _mm256_loadu_ps(x[t] + i), a[t][P]);
  }
  template <int P>
  inline void add_masked(int64_t i, __m256 w, __m256i m) {
    for (int t = 0; t < NT; ++t) a[t][P] = _mm256_fmadd_ps(w, _mm256_maskload_ps(x[t] + i, m), a[t][P]);
  }
  inline void finish(float *out) {
    for (int t = 0; t < NT; ++t) out[t] = hsum(_mm256_add_ps(a[t][0], a[t][1]));
  }
};

template <class K>
void f32_xn(const void *w, const float *const *x, int64_t nt, int64_t n, float *out) {
  const auto *wb = static_cast<const uint8_t *>(w);
  int64_t t = 0;
  for (; t + 4 <= nt; t += 4) K::template run<4>(wb, x + t, n, out + t);
  if (nt - t >= 2) { K::template run<2>(wb, x + t, n, out + t); t += 2; }
  if (nt - t >= 1) K::template run<1>(wb, x + t, n, out + t);
}
template <class K>
float f32_one(const void *w, const float *x, int64_t n) {
  float out;
  K::template run<1>(static_cast<const uint8_t *>(w), &x, n, &out);
  return out;
}
template <class K>
void q8_xn(const void *w, const void *const *xq, int64_t nt, int64_t n, float *out) {
  const auto *wb = static_cast<const uint8_t *>(w);
  int64_t t = 0;
  for (; t + 4 <= nt; t += 4) K::template run<4>(wb, xq + t, n, out + t);
  if (nt - t >= 2) { K::template run<2>(wb, xq + t, n, out + t); t += 2; }
  if (nt - t >= 1) K::template run<1>(wb, xq + t, n, out + t);
}
template <class K>
float q8_one(const void *w, const void *xq, int64_t n) {
  float out;
  K::template run<1>(static_cast<const uint8_t *>(w), &xq, n, &out);
  return out;
}

}  // namespace v256
}  // namespace
}  // namespace dsv4::cpu
