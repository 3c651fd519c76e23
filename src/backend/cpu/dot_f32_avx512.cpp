// AVX-512 exact-path kernels (dequantize in registers, FMA with f32 activations) for F32, F16,
// BF16 and the 32-element block types. Compiled with the AVX-512 flags of simd_flags.cmake.
#include "backend/cpu/kernels_family.h"
#include "backend/cpu/simd_avx512.h"
#include "format/ggml_type.h"

namespace dsv4::cpu::family {
namespace {

using namespace v512;

// ---- plain types: 16 elements per step, masked tail ----
template <class Load>
struct Plain {
  template <int NT>
  static void run(const uint8_t *w, const float *const *x, int64_t n, float *out) {
    AccF32<NT> acc(x);
    int64_t i = 0;
    for (; i + 32 <= n; i += 32) {
      acc.template add<0>(i, Load::full(w, i));
      acc.template add<1>(i + 16, Load::full(w, i + 16));
    }
    bool odd = false;  // the next 16-element chunk goes to accumulator 1
    if (i + 16 <= n) {
      acc.template add<0>(i, Load::full(w, i));
      i += 16;
      odd = true;
    }
    if (i < n) {
      const __mmask16 m = static_cast<__mmask16>((1u << (n - i)) - 1);
      if (odd) acc.template add_masked<1>(i, Load::part(w, i, m), m);
      else acc.template add_masked<0>(i, Load::part(w, i, m), m);
    }
    acc.finish(out);
  }
};
struct LoadF32 {
  static __m512 full(const uint8_t *w, int64_t i) { return _mm512_loadu_ps(reinterpret_cast<const float *>(w) + i); }
  static __m512 part(const uint8_t *w, int64_t i, __mmask16 m) {
    return _mm512_maskz_loadu_ps(m, reinterpret_cast<const float *>(w) + i);
  }
};
struct LoadF16 {
  static __m512 full(const uint8_t *w, int64_t i) {
    return _mm512_cvtph_ps(_mm256_loadu_si256(reinterpret_cast<const __m256i *>(w + 2 * i)));
  }
  static __m512 part(const uint8_t *w, int64_t i, __mmask16 m) {
    return _mm512_cvtph_ps(_mm256_maskz_loadu_epi16(m, w + 2 * i));
  }
};
struct LoadBF16 {
  static __m512 widen(__m256i h) { return _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(h), 16)); }
  static __m512 full(const uint8_t *w, int64_t i) {
    return widen(_mm256_loadu_si256(reinterpret_cast<const __m256i *>(w + 2 * i)));
  }
  static __m512 part(const uint8_t *w, int64_t i, __mmask16 m) { return widen(_mm256_maskz_loadu_epi16(m, w + 2 * i)); }
};

// ---- 32-element blocks: Dec::block(blk, lo, hi) gives the weights of elements 0..15, 16..31 ----
template <class Dec>
struct Blocks {
  template <int NT>
  static void run(const uint8_t *w, const float *const *x, int64_t n, float *out) {
    AccF32<NT> acc(x);
    for (int64_t b = 0; b < n / 32; ++b) {
      __m512 lo, hi;
      Dec::block(w + b * Dec::kBytes, lo, hi);
      acc.template add<0>(32 * b, lo);
      acc.template add<1>(32 * b + 16, hi);
    }
    acc.finish(out);
  }
};

// 4- and 5-bit codes go through a per-block table of the 16 (32) weight values (vpermps uses the
// low 4 index bits, vpermt2ps the low 5): one shuffle per 16 weights instead of convert + scale.
inline __m512 iota_ps() { return _mm512_setr_ps(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15); }

struct Q4_0 {
  static constexpr int kBytes = 18;
  static void block(const uint8_t *p, __m512 &lo, __m512 &hi) {
    const __m512 table = _mm512_mul_ps(_mm512_sub_ps(iota_ps(), _mm512_set1_ps(8.0f)), _mm512_set1_ps(fp16(p)));
    const __m512i q = u8x16(p + 2);
    lo = _mm512_permutexvar_ps(q, table);
    hi = _mm512_permutexvar_ps(_mm512_srli_epi32(q, 4), table);
  }
};
struct Q4_1 {
  static constexpr int kBytes = 20;
  static void block(const uint8_t *p, __m512 &lo, __m512 &hi) {
    const __m512 table = _mm512_fmadd_ps(iota_ps(), _mm512_set1_ps(fp16(p)), _mm512_set1_ps(fp16(p + 2)));
    const __m512i q = u8x16(p + 4);
    lo = _mm512_permutexvar_ps(q, table);
    hi = _mm512_permutexvar_ps(_mm512_srli_epi32(q, 4), table);
  }
};
// 5-bit codes: low nibbles plus bit 4 from qh (bit j for element j).
inline void q5_codes(const uint8_t *qs, uint32_t qh, __m512i &lo, __m512i &hi) {
  const __m512i q = u8x16(qs), sixteen = _mm512_set1_epi32(16);
  lo = _mm512_and_si512(q, _mm512_set1_epi32(15));
  hi = _mm512_srli_epi32(q, 4);
  lo = _mm512_mask_add_epi32(lo, static_cast<__mmask16>(qh & 0xFFFF), lo, sixteen);
  hi = _mm512_mask_add_epi32(hi, static_cast<__mmask16>(qh >> 16), hi, sixteen);
}
// Weights of codes 0..15 in t0 and 16..31 in t1, looked up for lo and hi.
inline void q5_lookup(const uint8_t *qs, uint32_t qh, __m512 t0, __m512 t1, __m512 &lo, __m512 &hi) {
  __m512i cl, ch;
  q5_codes(qs, qh, cl, ch);
  lo = _mm512_permutex2var_ps(t0, cl, t1);
  hi = _mm512_permutex2var_ps(t0, ch, t1);
}
struct Q5_0 {
  static constexpr int kBytes = 22;
  static void block(const uint8_t *p, __m512 &lo, __m512 &hi) {
    const __m512 d = _mm512_set1_ps(fp16(p));
    const __m512 t0 = _mm512_mul_ps(_mm512_sub_ps(iota_ps(), _mm512_set1_ps(16.0f)), d);
    const __m512 t1 = _mm512_mul_ps(iota_ps(), d);
    q5_lookup(p + 6, ld32(p + 2), t0, t1, lo, hi);
  }
};
struct Q5_1 {
  static constexpr int kBytes = 24;
  static void block(const uint8_t *p, __m512 &lo, __m512 &hi) {
    const __m512 d = _mm512_set1_ps(fp16(p)), m = _mm512_set1_ps(fp16(p + 2));
    const __m512 t0 = _mm512_fmadd_ps(iota_ps(), d, m);
    const __m512 t1 = _mm512_fmadd_ps(_mm512_add_ps(iota_ps(), _mm512_set1_ps(16.0f)), d, m);
    q5_lookup(p + 8, ld32(p + 4), t0, t1, lo, hi);
  }
};
struct Q8_0 {
  static constexpr int kBytes = 34;
  static void block(const uint8_t *p, __m512 &lo, __m512 &hi) {
    const __m512 d = _mm512_set1_ps(fp16(p));
    lo = _mm512_mul_ps(_mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i *>(p + 2)))), d);
    hi = _mm512_mul_ps(_mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i *>(p + 18)))), d);
  }
};
struct Mxfp4 {
  static constexpr int kBytes = 17;
  static void block(const uint8_t *p, __m512 &lo, __m512 &hi) {
    // The doubled E2M1 table (code 8 is +0) times 2^(e−128), as the reference dequantizes.
    const __m512 table = _mm512_mul_ps(_mm512_setr_ps(0, 1, 2, 3, 4, 6, 8, 12, 0, -1, -2, -3, -4, -6, -8, -12),
                                       _mm512_set1_ps(e8m0_half(p[0])));
    const __m512i q = u8x16(p + 1);
    lo = _mm512_permutexvar_ps(q, table);
    hi = _mm512_permutexvar_ps(_mm512_srli_epi32(q, 4), table);
  }
};

template <class K>
void set(Slots &s) {
  s.dot_f32 = f32_one<K>;
  s.dot_f32_xN = f32_xn<K>;
}

}  // namespace

void avx512_f32(uint32_t type, Slots &s) {
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
