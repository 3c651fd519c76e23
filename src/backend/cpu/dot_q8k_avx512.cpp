// AVX-512 VNNI int8-path kernels for the K-quants with Q8_K activations. Per 256-element block:
// four steps of 64 unsigned codes × 64 activation bytes (vpdpbusd), each lane's sum times its
// sub-block scale (vpmaddwd against a scale in the low 16 bits: the lane sums fit in int16), all
// in exact int32; code offsets (Q3_K −4, Q6_K −32) come off through bsums; then one f32 FMA with
// d_a·d_w per block, and the mins (Q2_K, Q4_K, Q5_K) through bsums × mins with d_a·dmin.
#include "backend/cpu/act_layout.h"
#include "backend/cpu/kernels_family.h"
#include "backend/cpu/simd_avx512.h"
#include "format/ggml_type.h"

namespace dsv4::cpu::family {
namespace {

using namespace v512;

// One block decoded: unsigned codes of elements 64c .. 64c+63 in u[c], the matching per-lane
// scales (int32 lanes, value in the low 16 bits), and the terms that go through bsums.
struct KDec {
  __m512i u[4];
  __m512i sc[4];
  __m256i mins16;   // per 16-element group, int16 (kMin)
  __m256i offs16;   // per 16-element group: offset·S as int16 (kOffset)
  float d = 0, dmin = 0;
};

// 16 int32 values v[0..15] -> for step c the lanes [v[4c]×4, v[4c+1]×4, v[4c+2]×4, v[4c+3]×4].
inline void scales_by16(__m512i v, __m512i sc[4]) {
  for (int c = 0; c < 4; ++c) {
    const __m512i idx = _mm512_add_epi32(_mm512_set1_epi32(4 * c), _mm512_srli_epi32(
        _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15), 2));
    sc[c] = _mm512_permutexvar_epi32(idx, v);
  }
}
// 8 int32 values v[0..7] -> for step c the lanes [v[2c]×8, v[2c+1]×8].
inline void scales_by32(__m512i v, __m512i sc[4]) {
  for (int c = 0; c < 4; ++c) {
    const __m512i idx = _mm512_add_epi32(_mm512_set1_epi32(2 * c), _mm512_srli_epi32(
        _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15), 3));
    sc[c] = _mm512_permutexvar_epi32(idx, v);
  }
}
inline __m128i load16(const void *p) { return _mm_loadu_si128(static_cast<const __m128i *>(p)); }
inline __m512i bcast32(const uint8_t *p) {  // 32 bytes into both halves
  const __m256i v = _mm256_loadu_si256(reinterpret_cast<const __m256i *>(p));
  return _mm512_inserti64x4(_mm512_castsi256_si512(v), v, 1);
}
// Per 16-bit lane: shift by a in the low half, b in the high half.
inline __m512i shifts(int a, int b) {
  return _mm512_inserti64x4(_mm512_set1_epi16(static_cast<int16_t>(a)), _mm256_set1_epi16(static_cast<int16_t>(b)), 1);
}

// The 2-bit codes of Q2_K / Q3_K for step c: (qs[32n + l] >> 2j) & 3, n = c/2, j = 2(c%2) + half.
inline __m512i two_bits(const uint8_t *qs, int c) {
  const int j0 = 2 * (c % 2);
  return _mm512_and_si512(_mm512_srlv_epi16(bcast32(qs + 32 * (c / 2)), shifts(2 * j0, 2 * j0 + 2)),
                          _mm512_set1_epi8(3));
}

struct Q2_K {
  static constexpr int kBytes = 84;
  static constexpr bool kMin = true, kOffset = false;
  static void decode(const uint8_t *p, KDec &k) {
    const __m128i s = load16(p);
    const __m128i lo = _mm_and_si128(s, _mm_set1_epi8(15));
    const __m128i hi = _mm_and_si128(_mm_srli_epi16(s, 4), _mm_set1_epi8(15));
    scales_by16(_mm512_cvtepu8_epi32(lo), k.sc);
    k.mins16 = _mm256_cvtepu8_epi16(hi);
    for (int c = 0; c < 4; ++c) k.u[c] = two_bits(p + 16, c);
    k.d = fp16(p + 80);
    k.dmin = fp16(p + 82);
  }
};

struct Q3_K {
  static constexpr int kBytes = 110;
  static constexpr bool kMin = false, kOffset = true;
  static void decode(const uint8_t *p, KDec &k) {
    const Q3Scales q3 = scales_q3_k(p + 96);
    const __m128i sv = _mm_sub_epi8(_mm_set_epi64x(static_cast<long long>(q3.hi), static_cast<long long>(q3.lo)),
                                    _mm_set1_epi8(32));
    scales_by16(_mm512_and_si512(_mm512_cvtepi8_epi32(sv), _mm512_set1_epi32(0xFFFF)), k.sc);
    k.offs16 = _mm256_slli_epi16(_mm256_cvtepi8_epi16(sv), 2);  // 4·S
    const __m512i hm = bcast32(p);
    for (int c = 0; c < 4; ++c) {
      const __m512i bit = _mm512_inserti64x4(_mm512_set1_epi8(static_cast<char>(1 << (2 * c))),
                                             _mm256_set1_epi8(static_cast<char>(2 << (2 * c))), 1);
      const __m512i q2 = two_bits(p + 32, c);
      k.u[c] = _mm512_mask_add_epi8(q2, _mm512_test_epi8_mask(hm, bit), q2, _mm512_set1_epi8(4));
    }
    k.d = fp16(p + 108);
  }
};

template <bool kFive>
struct Q45_K {
  static constexpr int kBytes = kFive ? 176 : 144;
  static constexpr bool kMin = true, kOffset = false;
  static void decode(const uint8_t *p, KDec &k) {
    const ScaleMin sm = scale_min_k4(p + 4);
    scales_by32(_mm512_cvtepu8_epi32(_mm_cvtsi64_si128(static_cast<long long>(sm.sc))), k.sc);
    const __m128i mn = _mm_cvtsi64_si128(static_cast<long long>(sm.mn));
    k.mins16 = _mm256_cvtepu8_epi16(_mm_unpacklo_epi8(mn, mn));  // each min for its two 16-groups
    const uint8_t *qs = p + (kFive ? 48 : 16);
    const __m512i mask = _mm512_set1_epi8(15);
    __m512i qh;
    if constexpr (kFive) qh = bcast32(p + 16);
    for (int c = 0; c < 4; ++c) {
      const __m512i v = bcast32(qs + 32 * c);
      __m512i u = _mm512_and_si512(_mm512_mask_blend_epi64(0xF0, v, _mm512_srli_epi16(v, 4)), mask);
      if constexpr (kFive) {
        const __m512i bit = _mm512_inserti64x4(_mm512_set1_epi8(static_cast<char>(1 << (2 * c))),
                                               _mm256_set1_epi8(static_cast<char>(2 << (2 * c))), 1);
        u = _mm512_mask_add_epi8(u, _mm512_test_epi8_mask(qh, bit), u, _mm512_set1_epi8(16));
      }
      k.u[c] = u;
    }
    k.d = fp16(p);
    k.dmin = fp16(p + 2);
  }
};

struct Q6_K {
  static constexpr int kBytes = 210;
  static constexpr bool kMin = false, kOffset = true;
  static void decode(const uint8_t *p, KDec &k) {
    const __m128i sv = load16(p + 192);
    scales_by16(_mm512_and_si512(_mm512_cvtepi8_epi32(sv), _mm512_set1_epi32(0xFFFF)), k.sc);
    k.offs16 = _mm256_slli_epi16(_mm256_cvtepi8_epi16(sv), 5);  // 32·S
    const __m512i m4 = _mm512_set1_epi8(15), m2 = _mm512_set1_epi8(3);
    for (int n = 0; n < 2; ++n) {
      const __m512i ql = _mm512_loadu_si512(p + 64 * n);
      const __m512i qh = bcast32(p + 128 + 32 * n);
      for (int half = 0; half < 2; ++half) {
        const int k0 = 2 * half;
        const __m512i low = half ? _mm512_and_si512(_mm512_srli_epi16(ql, 4), m4) : _mm512_and_si512(ql, m4);
        const __m512i high = _mm512_and_si512(_mm512_srlv_epi16(qh, shifts(2 * k0, 2 * k0 + 2)), m2);
        k.u[2 * n + half] = _mm512_or_si512(low, _mm512_slli_epi16(high, 4));
      }
    }
    k.d = fp16(p + 208);
  }
};

template <class Dec>
struct Kernel {
  template <int NT>
  static void run(const uint8_t *w, const void *const *xq, int64_t n, float *out) {
    __m512 acc[NT];
    __m256 macc[NT];
    for (int t = 0; t < NT; ++t) {
      acc[t] = _mm512_setzero_ps();
      macc[t] = _mm256_setzero_ps();
    }
    for (int64_t b = 0; b < n / 256; ++b) {
      KDec k;
      Dec::decode(w + b * Dec::kBytes, k);
      for (int t = 0; t < NT; ++t) {
        const int8_t *a = act::qs(xq[t]) + 256 * b;
        __m512i isum = _mm512_setzero_si512();
        for (int c = 0; c < 4; ++c) {
          const __m512i dp = _mm512_dpbusd_epi32(_mm512_setzero_si512(), k.u[c], _mm512_loadu_si512(a + 64 * c));
          isum = _mm512_add_epi32(isum, _mm512_madd_epi16(dp, k.sc[c]));
        }
        const __m256i bs = _mm256_loadu_si256(reinterpret_cast<const __m256i *>(act::kbsums(xq[t], n) + 16 * b));
        if constexpr (Dec::kOffset)
          isum = _mm512_sub_epi32(isum, _mm512_zextsi256_si512(_mm256_madd_epi16(bs, k.offs16)));
        const float da = act::kd(xq[t], n)[b];
        acc[t] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(isum), _mm512_set1_ps(da * k.d), acc[t]);
        if constexpr (Dec::kMin)
          macc[t] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(_mm256_madd_epi16(bs, k.mins16)), _mm256_set1_ps(da * k.dmin),
                                    macc[t]);
      }
    }
    for (int t = 0; t < NT; ++t) {
      float r = _mm512_reduce_add_ps(acc[t]);
      if constexpr (Dec::kMin) {
        const __m128 m = _mm_add_ps(_mm256_castps256_ps128(macc[t]), _mm256_extractf128_ps(macc[t], 1));
        const __m128 m2 = _mm_add_ps(m, _mm_movehl_ps(m, m));
        r -= _mm_cvtss_f32(_mm_add_ss(m2, _mm_movehdup_ps(m2)));
      }
      out[t] = r;
    }
  }
};

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
template <class Dec>
void set(Slots &s) {
  s.dot_q8 = q8_one<Kernel<Dec>>;
  s.dot_q8_xN = q8_xn<Kernel<Dec>>;
}

}  // namespace

void avx512_q8k(uint32_t type, Slots &s) {
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
