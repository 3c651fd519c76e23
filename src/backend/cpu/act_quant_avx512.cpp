// AVX-512 activation rounding of the int8 path (kernels_family.h ActQuant), bit-identical to
// quantize_row_q8_0_act (kX86Avx: id = 127/amax, ties to even) and quantize_row_q8_k_act: the
// maximum is order-free, the products are the same single f32 roundings, and the conversion
// rounds to nearest even explicitly (never through MXCSR).
#include "backend/cpu/act_layout.h"
#include "backend/cpu/kernels_family.h"
#include "backend/cpu/simd_avx512.h"

namespace dsv4::cpu::family {
namespace {

inline __m512i rne(__m512 v) { return _mm512_cvt_roundps_epi32(v, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC); }
inline __m512 absf(__m512 v) { return _mm512_abs_ps(v); }

void q8_0_avx512(const float *x, int64_t n, int8_t *qs, float *d, float *sum) {
  for (int64_t b = 0; b < n / 32; ++b, x += 32) {
    const __m512 v0 = _mm512_loadu_ps(x), v1 = _mm512_loadu_ps(x + 16);
    const float amax = _mm512_reduce_max_ps(_mm512_max_ps(absf(v0), absf(v1)));
    d[b] = amax / 127.0f;
    const __m512 id = _mm512_set1_ps(amax != 0.0f ? 127.0f / amax : 0.0f);
    const __m512i lim = _mm512_set1_epi32(127);
    const __m512i q0 = _mm512_max_epi32(_mm512_min_epi32(rne(_mm512_mul_ps(v0, id)), lim), _mm512_sub_epi32(_mm512_setzero_si512(), lim));
    const __m512i q1 = _mm512_max_epi32(_mm512_min_epi32(rne(_mm512_mul_ps(v1, id)), lim), _mm512_sub_epi32(_mm512_setzero_si512(), lim));
    _mm_storeu_si128(reinterpret_cast<__m128i *>(qs + act::q8_0_pos(b, 0)), _mm512_cvtepi32_epi8(q0));
    _mm_storeu_si128(reinterpret_cast<__m128i *>(qs + act::q8_0_pos(b, 16)), _mm512_cvtepi32_epi8(q1));
    if (sum) sum[b] = static_cast<float>(_mm512_reduce_add_epi32(_mm512_add_epi32(q0, q1)));
  }
}

void q8_k_avx512(const float *x, int64_t n, int8_t *qs, float *d, int16_t *bsums) {
  for (int64_t b = 0; b < n / 256; ++b, x += 256, qs += 256, bsums += 16) {
    __m512 m = _mm512_setzero_ps();
    for (int i = 0; i < 256; i += 16) m = _mm512_max_ps(m, absf(_mm512_loadu_ps(x + i)));
    const float amax = _mm512_reduce_max_ps(m);
    if (amax == 0.0f) {
      d[b] = 0.0f;
      _mm512_storeu_si512(qs, _mm512_setzero_si512());
      _mm512_storeu_si512(qs + 64, _mm512_setzero_si512());
      _mm512_storeu_si512(qs + 128, _mm512_setzero_si512());
      _mm512_storeu_si512(qs + 192, _mm512_setzero_si512());
      _mm256_storeu_si256(reinterpret_cast<__m256i *>(bsums), _mm256_setzero_si256());
      continue;
    }
    // The signed value of the first element of largest magnitude.
    float max = 0.0f;
    const __m512 am = _mm512_set1_ps(amax);
    for (int i = 0; i < 256; i += 16) {
      const __mmask16 k = _mm512_cmp_ps_mask(absf(_mm512_loadu_ps(x + i)), am, _CMP_EQ_OQ);
      if (k) {
        max = x[i + __builtin_ctz(k)];
        break;
      }
    }
    const float iscale = -127.0f / max;
    const __m512 is = _mm512_set1_ps(iscale);
    const __m512i hi = _mm512_set1_epi32(127), lo = _mm512_set1_epi32(-128);
    for (int g = 0; g < 16; ++g) {
      const __m512i q = _mm512_max_epi32(_mm512_min_epi32(rne(_mm512_mul_ps(_mm512_loadu_ps(x + 16 * g), is)), hi), lo);
      _mm_storeu_si128(reinterpret_cast<__m128i *>(qs + 16 * g), _mm512_cvtepi32_epi8(q));
      bsums[g] = static_cast<int16_t>(_mm512_reduce_add_epi32(q));
    }
    d[b] = 1.0f / iscale;
  }
}

}  // namespace

void avx512_act(ActQuant &a) {
  a.q8_0 = q8_0_avx512;
  a.q8_k = q8_k_avx512;
}

}  // namespace dsv4::cpu::family
