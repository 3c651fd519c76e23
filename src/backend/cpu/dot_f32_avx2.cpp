// AVX2 exact-path kernels (dequantize in registers, FMA with f32 activations) for F32, F16, BF16
// and the 32-element block types. Compiled with -mavx2 -mfma -mf16c (simd_flags.cmake).
#include "backend/cpu/kernels_family.h"
#include "backend/cpu/simd_avx2.h"
#include "format/ggml_type.h"

namespace dsv4::cpu::family {
namespace {

using namespace v256;

template <class Load>
struct Plain {
  template <int NT>
  static void run(const uint8_t *w, const float *const *x, int64_t n, float *out) {
    AccF32<NT> acc(x);
    int64_t i = 0;
    for (; i + 16 <= n; i += 16) {
      acc.template add<0>(i, Load::full(w, i));
      acc.template add<1>(i + 8, Load::full(w, i + 8));
    }
    bool odd = false;  // the next 8-element chunk goes to accumulator 1
    if (i + 8 <= n) {
      acc.template add<0>(i, Load::full(w, i));
      i += 8;
      odd = true;
    }
    if (i < n) {
      float tail[8] = {};
      for (int64_t j = i; j < n; ++j) tail[j - i] = Load::one(w, j);
      const __m256i m = _mm256_cmpgt_epi32(_mm256_set1_epi32(static_cast<int>(n - i)),
                                           _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
      if (odd) acc.template add_masked<1>(i, _mm256_loadu_ps(tail), m);
      else acc.template add_masked<0>(i, _mm256_loadu_ps(tail), m);
    }
    acc.finish(out);
  }
};
struct LoadF32 {
  static __m256 full(const uint8_t *w, int64_t i) { return _mm256_loadu_ps(reinterpret_cast<const float *>(w) + i); }
  static float one(const uint8_t *w, int64_t i) { return reinterpret_cast<const float *>(w)[i]; }
};
struct LoadF16 {
  static __m256 full(const uint8_t *w, int64_t i) {
    return _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i *>(w + 2 * i)));
  }
  static float one(const uint8_t *w, int64_t i) { return fp16(w + 2 * i); }
};
struct LoadBF16 {
  static __m256 full(const uint8_t *w, int64_t i) {
    const __m256i v = _mm256_cvtepu16_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i *>(w + 2 * i)));
    return _mm256_castsi256_ps(_mm256_slli_epi32(v, 16));
  }
  static float one(const uint8_t *w, int64_t i) { return bits_f32(static_cast<uint32_t>(ld16(w + 2 * i)) << 16); }
};

// Dec::block(blk, v) gives the weights of elements 8k .. 8k+7 in v[k], k = 0..3.
template <class Dec>
struct Blocks {
  template <int NT>
  static void run(const uint8_t *w, const float *const *x, int64_t n, float *out) {
    AccF32<NT> acc(x);
    for (int64_t b = 0; b < n / 32; ++b) {
      __m256 v[4];
      Dec::block(w + b * Dec::kBytes, v);
      acc.template add<0>(32 * b, v[0]);
      acc.template add<1>(32 * b + 8, v[1]);
      acc.template add<0>(32 * b + 16, v[2]);
      acc.template add<1>(32 * b + 24, v[3]);
    }
    acc.finish(out);
  }
};

// Codes 0..15 of elements 0..7, 8..15 (low nibbles), 16..23, 24..31 (high nibbles).
inline void nibbles(const uint8_t *qs, __m256i c[4]) {
  const __m256i a = u8x8(qs), b = u8x8(qs + 8), m = _mm256_set1_epi32(15);
  c[0] = _mm256_and_si256(a, m);
  c[1] = _mm256_and_si256(b, m);
  c[2] = _mm256_srli_epi32(a, 4);
  c[3] = _mm256_srli_epi32(b, 4);
}
// Adds 16 where bit e of qh is set, element e = 8k + lane.
inline void add_high_bits(uint32_t qh, __m256i c[4]) {
  const __m256i iota = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7), one = _mm256_set1_epi32(1);
  for (int k = 0; k < 4; ++k) {
    const __m256i bit = _mm256_and_si256(_mm256_srlv_epi32(_mm256_set1_epi32(static_cast<int>(qh >> (8 * k))), iota), one);
    c[k] = _mm256_or_si256(c[k], _mm256_slli_epi32(bit, 4));
  }
}

struct Q4_0 {
  static constexpr int kBytes = 18;
  static void block(const uint8_t *p, __m256 v[4]) {
    const __m256 d = _mm256_set1_ps(fp16(p));
    __m256i c[4];
    nibbles(p + 2, c);
    for (int k = 0; k < 4; ++k) v[k] = _mm256_mul_ps(_mm256_cvtepi32_ps(_mm256_sub_epi32(c[k], _mm256_set1_epi32(8))), d);
  }
};
struct Q4_1 {
  static constexpr int kBytes = 20;
  static void block(const uint8_t *p, __m256 v[4]) {
    const __m256 d = _mm256_set1_ps(fp16(p)), m = _mm256_set1_ps(fp16(p + 2));
    __m256i c[4];
    nibbles(p + 4, c);
    for (int k = 0; k < 4; ++k) v[k] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(c[k]), d, m);
  }
};
struct Q5_0 {
  static constexpr int kBytes = 22;
  static void block(const uint8_t *p, __m256 v[4]) {
    const __m256 d = _mm256_set1_ps(fp16(p));
    __m256i c[4];
    nibbles(p + 6, c);
    add_high_bits(ld32(p + 2), c);
    for (int k = 0; k < 4; ++k) v[k] = _mm256_mul_ps(_mm256_cvtepi32_ps(_mm256_sub_epi32(c[k], _mm256_set1_epi32(16))), d);
  }
};
struct Q5_1 {
  static constexpr int kBytes = 24;
  static void block(const uint8_t *p, __m256 v[4]) {
    const __m256 d = _mm256_set1_ps(fp16(p)), m = _mm256_set1_ps(fp16(p + 2));
    __m256i c[4];
    nibbles(p + 8, c);
    add_high_bits(ld32(p + 4), c);
    for (int k = 0; k < 4; ++k) v[k] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(c[k]), d, m);
  }
};
struct Q8_0 {
  static constexpr int kBytes = 34;
  static void block(const uint8_t *p, __m256 v[4]) {
    const __m256 d = _mm256_set1_ps(fp16(p));
    for (int k = 0; k < 4; ++k) {
      const __m256i q = _mm256_cvtepi8_epi32(_mm_loadl_epi64(reinterpret_cast<const __m128i *>(p + 2 + 8 * k)));
      v[k] = _mm256_mul_ps(_mm256_cvtepi32_ps(q), d);
    }
  }
};
struct Mxfp4 {
  static constexpr int kBytes = 17;
  static void block(const uint8_t *p, __m256 v[4]) {
    // The doubled E2M1 table (code 8 is +0) times 2^(e−128): magnitudes by the low 3 bits,
    // the negative half chosen by bit 3.
    const __m256 pos = _mm256_setr_ps(0, 1, 2, 3, 4, 6, 8, 12), neg = _mm256_setr_ps(0, -1, -2, -3, -4, -6, -8, -12);
    const __m256 d = _mm256_set1_ps(e8m0_half(p[0]));
    __m256i c[4];
    nibbles(p + 1, c);
    for (int k = 0; k < 4; ++k) {
      const __m256 sel = _mm256_castsi256_ps(_mm256_slli_epi32(c[k], 28));
      const __m256 val = _mm256_blendv_ps(_mm256_permutevar8x32_ps(pos, c[k]), _mm256_permutevar8x32_ps(neg, c[k]), sel);
      v[k] = _mm256_mul_ps(val, d);
    }
  }
};

template <class K>
void set(Slots &s) {
  s.dot_f32 = f32_one<K>;
  s.dot_f32_xN = f32_xn<K>;
}

}  // namespace

void avx2_f32(uint32_t type, Slots &s) {
  switch (type) {
    case GGML_F32: set<Plain<LoadF32>>(s); break;
    case GGML_F16: set<Plain<LoadF16>>(s); break;
    case GGML_BF16: set<Plain<LoadBF16>>(s); break;
    case GGML_Q4_0: set<Blocks<Q4_0>>(s); break;
    case GGML_Q4_1: set<Blocks<Q4_1>>(s); break;
    case GGML_Q5_0: set<Blocks<Q5_0>>(s); break;
    case GGML_Q5_1: set<Blocks<Q5_1>>(s); break;
    case GGML_Q8_0: set<Blocks<Q8_0>>(s); break;
    case GGML_MXFP4: set<Blocks<Mxfp4>>(s); break;
    default: break;
  }
}

}  // namespace dsv4::cpu::family
