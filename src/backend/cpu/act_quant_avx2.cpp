// AVX2 activation rounding of the int8 path (kernels_family.h ActQuant), bit-identical to
// quantize_row_q8_0_act (kX86Avx) and quantize_row_q8_k_act; rounding to nearest even is
// explicit (_mm256_round_ps), never through MXCSR.
#include "backend/cpu/act_layout.h"
#include "backend/cpu/kernels_family.h"
#include "backend/cpu/simd_avx2.h"

namespace dsv4::cpu::family {
namespace {

using namespace v256;

inline __m256 absf(__m256 v) { return _mm256_andnot_ps(_mm256_set1_ps(-0.0f), v); }
inline float hmax(__m256 v) {
  __m128 m = _mm_max_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  m = _mm_max_ps(m, _mm_movehl_ps(m, m));
  m = _mm_max_ss(m, _mm_movehdup_ps(m));
  return _mm_cvtss_f32(m);
}
inline int hsum_i32(__m256i v) {
  __m128i s = _mm_add_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
  s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0x4E));
  s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0xB1));
  return _mm_cvtsi128_si32(s);
}
// Codes of 16 values (x·scale rounded to nearest even, clamped to [lo, hi]) as int32 pairs.
inline void codes16(const float *x, __m256 scale, int lo, int hi, __m256i &a, __m256i &b) {
  const int r = _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC;
  const __m256i vlo = _mm256_set1_epi32(lo), vhi = _mm256_set1_epi32(hi);
  a = _mm256_cvttps_epi32(_mm256_round_ps(_mm256_mul_ps(_mm256_loadu_ps(x), scale), r));
  b = _mm256_cvttps_epi32(_mm256_round_ps(_mm256_mul_ps(_mm256_loadu_ps(x + 8), scale), r));
  a = _mm256_max_epi32(_mm256_min_epi32(a, vhi), vlo);
  b = _mm256_max_epi32(_mm256_min_epi32(b, vhi), vlo);
}
// 16 int32 codes (in range) -> 16 bytes.
inline __m128i pack16(__m256i a, __m256i b) {
  const __m256i w = _mm256_permute4x64_epi64(_mm256_packs_epi32(a, b), 0xD8);  // 16 int16 in order
  return _mm_packs_epi16(_mm256_castsi256_si128(w), _mm256_extracti128_si256(w, 1));
}

void q8_0_avx2(const float *x, int64_t n, int8_t *qs, float *d, float *sum) {
  for (int64_t b = 0; b < n / 32; ++b, x += 32) {
    __m256 m = _mm256_max_ps(absf(_mm256_loadu_ps(x)), absf(_mm256_loadu_ps(x + 8)));
    m = _mm256_max_ps(m, _mm256_max_ps(absf(_mm256_loadu_ps(x + 16)), absf(_mm256_loadu_ps(x + 24))));
    const float amax = hmax(m);
    d[b] = amax / 127.0f;
    const __m256 id = _mm256_set1_ps(amax != 0.0f ? 127.0f / amax : 0.0f);
    __m256i a0, a1, b0, b1;
    codes16(x, id, -127, 127, a0, a1);
    codes16(x + 16, id, -127, 127, b0, b1);
    _mm_storeu_si128(reinterpret_cast<__m128i *>(qs + act::q8_0_pos(b, 0)), pack16(a0, a1));
    _mm_storeu_si128(reinterpret_cast<__m128i *>(qs + act::q8_0_pos(b, 16)), pack16(b0, b1));
    if (sum) sum[b] = static_cast<float>(hsum_i32(_mm256_add_epi32(_mm256_add_epi32(a0, a1), _mm256_add_epi32(b0, b1))));
  }
}

void q8_k_avx2(const float *x, int64_t n, int8_t *qs, float *d, int16_t *bsums) {
  for (int64_t b = 0; b < n / 256; ++b, x += 256, qs += 256, bsums += 16) {
    __m256 m = _mm256_setzero_ps();
    for (int i = 0; i < 256; i += 8) m = _mm256_max_ps(m, absf(_mm256_loadu_ps(x + i)));
    const float amax = hmax(m);
    if (amax == 0.0f) {
      d[b] = 0.0f;
      for (int i = 0; i < 256; i += 32) _mm256_storeu_si256(reinterpret_cast<__m256i *>(qs + i), _mm256_setzero_si256());
      _mm256_storeu_si256(reinterpret_cast<__m256i *>(bsums), _mm256_setzero_si256());
      continue;
    }
    // The signed value of the first element of largest magnitude.
    float max = 0.0f;
    const __m256 am = _mm256_set1_ps(amax);
    for (int i = 0; i < 256; i += 8) {
      const int k = _mm256_movemask_ps(_mm256_cmp_ps(absf(_mm256_loadu_ps(x + i)), am, _CMP_EQ_OQ));
      if (k) {
        max = x[i + __builtin_ctz(static_cast<unsigned>(k))];
        break;
      }
    }
    const float iscale = -127.0f / max;
    const __m256 is = _mm256_set1_ps(iscale);
    for (int g = 0; g < 16; ++g) {
      __m256i a, c;
      codes16(x + 16 * g, is, -128, 127, a, c);
      _mm_storeu_si128(reinterpret_cast<__m128i *>(qs + 16 * g), pack16(a, c));
      bsums[g] = static_cast<int16_t>(hsum_i32(_mm256_add_epi32(a, c)));
    }
    d[b] = 1.0f / iscale;
  }
}

}  // namespace

void avx2_act(ActQuant &a) {
  a.q8_0 = q8_0_avx2;
  a.q8_k = q8_k_avx2;
}

}  // namespace dsv4::cpu::family
