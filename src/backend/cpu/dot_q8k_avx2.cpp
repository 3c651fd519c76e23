// AVX2 int8-path kernels for the K-quants with Q8_K activations: per 32 elements vpmaddubsw of
// unsigned codes with activation bytes (|sums| ≤ 2·63·127 fit int16), vpmaddwd with the
// sub-block scales, exact int32 per block; offsets (Q3_K −4, Q6_K −32) and mins through bsums;
// one f32 FMA per block with d_a·d_w (and d_a·dmin for the mins).
#include "backend/cpu/act_layout.h"
#include "backend/cpu/kernels_family.h"
#include "backend/cpu/simd_avx2.h"
#include "format/ggml_type.h"

namespace dsv4::cpu::family {
namespace {

using namespace v256;

struct KDec {
  __m256i u[8];    // codes of elements 32s .. 32s+31
  __m256i sc[8];   // int16 scales of those elements
  __m256i mins16;  // per 16-element group (kMin)
  __m256i offs16;  // per 16-element group: offset·S (kOffset)
  float d = 0, dmin = 0;
};

inline __m256i two_scales16(int a, int b) {
  return _mm256_set_m128i(_mm_set1_epi16(static_cast<int16_t>(b)), _mm_set1_epi16(static_cast<int16_t>(a)));
}
inline __m256i ld256(const uint8_t *p) { return _mm256_loadu_si256(reinterpret_cast<const __m256i *>(p)); }

struct Q2_K {
  static constexpr int kBytes = 84;
  static constexpr bool kMin = true, kOffset = false;
  static void decode(const uint8_t *p, KDec &k) {
    const __m256i m2 = _mm256_set1_epi8(3);
    for (int s = 0; s < 8; ++s) {
      const int n = s / 4, j = s % 4;
      k.u[s] = _mm256_and_si256(srl16(ld256(p + 16 + 32 * n), 2 * j), m2);
      k.sc[s] = two_scales16(p[2 * s] & 15, p[2 * s + 1] & 15);
    }
    const __m128i sv = _mm_loadu_si128(reinterpret_cast<const __m128i *>(p));
    k.mins16 = _mm256_cvtepu8_epi16(_mm_and_si128(_mm_srli_epi16(sv, 4), _mm_set1_epi8(15)));
    k.d = fp16(p + 80);
    k.dmin = fp16(p + 82);
  }
};

struct Q3_K {
  static constexpr int kBytes = 110;
  static constexpr bool kMin = false, kOffset = true;
  static void decode(const uint8_t *p, KDec &k) {
    const Q3Scales q3 = scales_q3_k(p + 96);
    const __m256i m2 = _mm256_set1_epi8(3), one = _mm256_set1_epi8(1), hm = ld256(p);
    for (int s = 0; s < 8; ++s) {
      const int n = s / 4, j = s % 4;
      const __m256i q2 = _mm256_and_si256(srl16(ld256(p + 32 + 32 * n), 2 * j), m2);
      const __m256i hb = _mm256_and_si256(srl16(hm, s), one);
      k.u[s] = _mm256_add_epi8(q2, _mm256_slli_epi16(hb, 2));
      k.sc[s] = two_scales16(q3.scale(2 * s), q3.scale(2 * s + 1));
    }
    const __m128i sv = _mm_sub_epi8(_mm_set_epi64x(static_cast<long long>(q3.hi), static_cast<long long>(q3.lo)),
                                    _mm_set1_epi8(32));
    k.offs16 = _mm256_slli_epi16(_mm256_cvtepi8_epi16(sv), 2);
    k.d = fp16(p + 108);
  }
};

template <bool kFive>
struct Q45_K {
  static constexpr int kBytes = kFive ? 176 : 144;
  static constexpr bool kMin = true, kOffset = false;
  static void decode(const uint8_t *p, KDec &k) {
    const ScaleMin sm = scale_min_k4(p + 4);
    const uint8_t *qs = p + (kFive ? 48 : 16);
    const __m256i m4 = _mm256_set1_epi8(15), one = _mm256_set1_epi8(1);
    __m256i qh = _mm256_setzero_si256();
    if constexpr (kFive) qh = ld256(p + 16);
    for (int s = 0; s < 8; ++s) {
      const __m256i v = ld256(qs + 32 * (s / 2));
      __m256i u = (s & 1) ? _mm256_and_si256(_mm256_srli_epi16(v, 4), m4) : _mm256_and_si256(v, m4);
      if constexpr (kFive) u = _mm256_or_si256(u, _mm256_slli_epi16(_mm256_and_si256(srl16(qh, s), one), 4));
      k.u[s] = u;
      k.sc[s] = _mm256_set1_epi16(static_cast<int16_t>(sm.scale(s)));
    }
    const __m128i mn = _mm_cvtsi64_si128(static_cast<long long>(sm.mn));
    k.mins16 = _mm256_cvtepu8_epi16(_mm_unpacklo_epi8(mn, mn));  // each min for its two 16-groups
    k.d = fp16(p);
    k.dmin = fp16(p + 2);
  }
};

struct Q6_K {
  static constexpr int kBytes = 210;
  static constexpr bool kMin = false, kOffset = true;
  static void decode(const uint8_t *p, KDec &k) {
    const auto *sc = reinterpret_cast<const int8_t *>(p + 192);
    const __m256i m4 = _mm256_set1_epi8(15), m2 = _mm256_set1_epi8(3);
    for (int s = 0; s < 8; ++s) {
      const int n = s / 4, kk = s % 4;
      const __m256i ql = ld256(p + 64 * n + 32 * (kk % 2));
      const __m256i low = kk < 2 ? _mm256_and_si256(ql, m4) : _mm256_and_si256(_mm256_srli_epi16(ql, 4), m4);
      const __m256i high = _mm256_and_si256(srl16(ld256(p + 128 + 32 * n), 2 * kk), m2);
      k.u[s] = _mm256_or_si256(low, _mm256_slli_epi16(high, 4));
      k.sc[s] = two_scales16(sc[2 * s], sc[2 * s + 1]);
    }
    k.offs16 = _mm256_slli_epi16(_mm256_cvtepi8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i *>(sc))), 5);
    k.d = fp16(p + 208);
  }
};

template <class Dec>
struct Kernel {
  template <int NT>
  static void run(const uint8_t *w, const void *const *xq, int64_t n, float *out) {
    __m256 acc[NT], macc[NT];
    for (int t = 0; t < NT; ++t) acc[t] = macc[t] = _mm256_setzero_ps();
    for (int64_t b = 0; b < n / 256; ++b) {
      KDec k;
      Dec::decode(w + b * Dec::kBytes, k);
      for (int t = 0; t < NT; ++t) {
        const int8_t *a = act::qs(xq[t]) + 256 * b;
        __m256i isum = _mm256_setzero_si256();
        for (int s = 0; s < 8; ++s) {
          const __m256i p16 = _mm256_maddubs_epi16(k.u[s], _mm256_loadu_si256(reinterpret_cast<const __m256i *>(a + 32 * s)));
          isum = _mm256_add_epi32(isum, _mm256_madd_epi16(p16, k.sc[s]));
        }
        const __m256i bs = _mm256_loadu_si256(reinterpret_cast<const __m256i *>(act::kbsums(xq[t], n) + 16 * b));
        if constexpr (Dec::kOffset) isum = _mm256_sub_epi32(isum, _mm256_madd_epi16(bs, k.offs16));
        const float da = act::kd(xq[t], n)[b];
        acc[t] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(isum), _mm256_set1_ps(da * k.d), acc[t]);
        if constexpr (Dec::kMin)
          macc[t] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(_mm256_madd_epi16(bs, k.mins16)), _mm256_set1_ps(da * k.dmin), macc[t]);
      }
    }
    for (int t = 0; t < NT; ++t) out[t] = Dec::kMin ? hsum(acc[t]) - hsum(macc[t]) : hsum(acc[t]);
  }
};

template <class Dec>
void set(Slots &s) {
  s.dot_q8 = q8_one<Kernel<Dec>>;
  s.dot_q8_xN = q8_xn<Kernel<Dec>>;
}

}  // namespace

void avx2_q8k(uint32_t type, Slots &s) {
  switch (type) {
    case GGML_Q2_K: set<Q2_K>(s); break;
    case GGML_Q3_K: set<Q3_K>(s); break;
    case GGML_Q4_K: set<Q45_K<false>>(s); break;
    case GGML_Q5_K: set<Q45_K<true>>(s); break;
    case GGML_Q6_K: set<Q6_K>(s); break;
    default: break;
  }
}

}  // namespace dsv4::cpu::family
