// AVX-512 exact-path kernels for the K-quants (256-element blocks): codes widened to int32 lanes
// 16 at a time, scaled in f32 (x = ds·q − dm, or (d·S)·c), FMA with f32 activations.
#include "backend/cpu/kernels_family.h"
#include "backend/cpu/simd_avx512.h"
#include "format/ggml_type.h"

namespace dsv4::cpu::family {
namespace {

using namespace v512;

// Dec::block(blk, base, acc) adds the 16 chunks of one block, alternating the two accumulators.
template <class Dec>
struct KBlocks {
  template <int NT>
  static void run(const uint8_t *w, const float *const *x, int64_t n, float *out) {
    AccF32<NT> acc(x);
    for (int64_t b = 0; b < n / 256; ++b) Dec::block(w + b * Dec::kBytes, 256 * b, acc);
    acc.finish(out);
  }
};

inline __m512 cvt(__m512i v) { return _mm512_cvtepi32_ps(v); }

struct Q2_K {
  static constexpr int kBytes = 84;
  template <class Acc>
  static void block(const uint8_t *p, int64_t base, Acc &acc) {
    const float d = fp16(p + 80), dmin = fp16(p + 82);
    const __m512i three = _mm512_set1_epi32(3);
    for (int n = 0; n < 2; ++n)
      for (int h = 0; h < 2; ++h) {
        const __m512i q = u8x16(p + 16 + 32 * n + 16 * h);
        // Group j of 16 elements: codes (q >> 2j) & 3, sub-block 8n + 2j + h.
        auto weights = [&](int j) {
          const int sub = 8 * n + 2 * j + h;
          const __m512 ds = _mm512_set1_ps(d * static_cast<float>(p[sub] & 15));
          const __m512 dm = _mm512_set1_ps(dmin * static_cast<float>(p[sub] >> 4));
          return _mm512_fmsub_ps(cvt(_mm512_and_si512(_mm512_srli_epi32(q, 2 * j), three)), ds, dm);
        };
        for (int j = 0; j < 4; j += 2) {
          acc.template add<0>(base + 16 * (8 * n + 2 * j + h), weights(j));
          acc.template add<1>(base + 16 * (8 * n + 2 * j + 2 + h), weights(j + 1));
        }
      }
  }
};

struct Q3_K {
  static constexpr int kBytes = 110;
  template <class Acc>
  static void block(const uint8_t *p, int64_t base, Acc &acc) {
    const Q3Scales sc = scales_q3_k(p + 96);
    const float d = fp16(p + 108);
    const __m512i three = _mm512_set1_epi32(3), four = _mm512_set1_epi32(4);
    for (int h = 0; h < 2; ++h) {
      const __m512i hm = u8x16(p + 16 * h);
      for (int n = 0; n < 2; ++n) {
        const __m512i q = u8x16(p + 32 + 32 * n + 16 * h);
        auto weights = [&](int j) {
          const int sub = 8 * n + 2 * j + h;
          const __mmask16 high = _mm512_test_epi32_mask(hm, _mm512_set1_epi32(1 << (4 * n + j)));
          __m512i c = _mm512_sub_epi32(_mm512_and_si512(_mm512_srli_epi32(q, 2 * j), three), four);
          c = _mm512_mask_add_epi32(c, high, c, four);
          return _mm512_mul_ps(cvt(c), _mm512_set1_ps(d * static_cast<float>(sc.scale(sub))));
        };
        for (int j = 0; j < 4; j += 2) {
          acc.template add<0>(base + 16 * (8 * n + 2 * j + h), weights(j));
          acc.template add<1>(base + 16 * (8 * n + 2 * j + 2 + h), weights(j + 1));
        }
      }
    }
  }
};

// Q4_K and Q5_K: per sub-block a table of the 16 (Q5_K: 32) weight values ds·q − dm, indexed by
// the codes (vpermps uses the low 4 index bits, vpermt2ps the low 5).
template <bool kFive>
struct Q45_K {
  static constexpr int kBytes = kFive ? 176 : 144;
  template <class Acc>
  static void block(const uint8_t *p, int64_t base, Acc &acc) {
    const ScaleMin sm = scale_min_k4(p + 4);
    const float d = fp16(p), dmin = fp16(p + 2);
    const uint8_t *qs = p + (kFive ? 48 : 16);
    const __m512 iota = _mm512_setr_ps(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
    const __m512 iota16 = _mm512_add_ps(iota, _mm512_set1_ps(16.0f));
    const __m512i sixteen = _mm512_set1_epi32(16);
    for (int c = 0; c < 4; ++c) {
      const int s0 = 2 * c, s1 = 2 * c + 1;
      const __m512 ds0 = _mm512_set1_ps(d * static_cast<float>(sm.scale(s0)));
      const __m512 dm0 = _mm512_set1_ps(dmin * static_cast<float>(sm.min(s0)));
      const __m512 ds1 = _mm512_set1_ps(d * static_cast<float>(sm.scale(s1)));
      const __m512 dm1 = _mm512_set1_ps(dmin * static_cast<float>(sm.min(s1)));
      const __m512 t0 = _mm512_fmsub_ps(iota, ds0, dm0), t1 = _mm512_fmsub_ps(iota, ds1, dm1);
      for (int h = 0; h < 2; ++h) {  // elements l = 16h .. 16h+15 of sub-blocks 2c and 2c+1
        const __m512i q = u8x16(qs + 32 * c + 16 * h);
        __m512 lo, hi;
        if constexpr (kFive) {
          const __m512i qh = u8x16(p + 16 + 16 * h);
          __m512i cl = _mm512_and_si512(q, _mm512_set1_epi32(15)), ch = _mm512_srli_epi32(q, 4);
          cl = _mm512_mask_add_epi32(cl, _mm512_test_epi32_mask(qh, _mm512_set1_epi32(1 << s0)), cl, sixteen);
          ch = _mm512_mask_add_epi32(ch, _mm512_test_epi32_mask(qh, _mm512_set1_epi32(1 << s1)), ch, sixteen);
          lo = _mm512_permutex2var_ps(t0, cl, _mm512_fmsub_ps(iota16, ds0, dm0));
          hi = _mm512_permutex2var_ps(t1, ch, _mm512_fmsub_ps(iota16, ds1, dm1));
        } else {
          lo = _mm512_permutexvar_ps(q, t0);
          hi = _mm512_permutexvar_ps(_mm512_srli_epi32(q, 4), t1);
        }
        acc.template add<0>(base + 32 * s0 + 16 * h, lo);
        acc.template add<1>(base + 32 * s1 + 16 * h, hi);
      }
    }
  }
};

struct Q6_K {
  static constexpr int kBytes = 210;
  template <class Acc>
  static void block(const uint8_t *p, int64_t base, Acc &acc) {
    const auto *sc = reinterpret_cast<const int8_t *>(p + 192);
    const float d = fp16(p + 208);
    const __m512i fifteen = _mm512_set1_epi32(15), three = _mm512_set1_epi32(3), off = _mm512_set1_epi32(32);
    for (int n = 0; n < 2; ++n)
      for (int h = 0; h < 2; ++h) {
        const __m512i qh = u8x16(p + 128 + 32 * n + 16 * h);
        const __m512i ql0 = u8x16(p + 64 * n + 16 * h), ql1 = u8x16(p + 64 * n + 32 + 16 * h);
        // Group k of 16 elements (128n + 32k + 16h ..): low nibbles of ql0/ql1 for k < 2, high after.
        auto weights = [&](int k) {
          const __m512i ql = (k & 1) ? ql1 : ql0;
          const __m512i low = k < 2 ? _mm512_and_si512(ql, fifteen) : _mm512_srli_epi32(ql, 4);
          const __m512i high = _mm512_slli_epi32(_mm512_and_si512(_mm512_srli_epi32(qh, 2 * k), three), 4);
          const __m512i c = _mm512_sub_epi32(_mm512_or_si512(low, high), off);
          return _mm512_mul_ps(cvt(c), _mm512_set1_ps(d * static_cast<float>(sc[8 * n + 2 * k + h])));
        };
        for (int k = 0; k < 4; k += 2) {
          acc.template add<0>(base + 16 * (8 * n + 2 * k + h), weights(k));
          acc.template add<1>(base + 16 * (8 * n + 2 * k + 2 + h), weights(k + 1));
        }
      }
  }
};

template <class K>
void set(Slots &s) {
  s.dot_f32 = f32_one<K>;
  s.dot_f32_xN = f32_xn<K>;
}

}  // namespace

void avx512_f32k(uint32_t type, Slots &s) {
  switch (type) {
    case GGML_Q2_K: set<KBlocks<Q2_K>>(s); break;
    case GGML_Q3_K: set<KBlocks<Q3_K>>(s); break;
    case GGML_Q4_K: set<KBlocks<Q45_K<false>>>(s); break;
    case GGML_Q5_K: set<KBlocks<Q45_K<true>>>(s); break;
    case GGML_Q6_K: set<KBlocks<Q6_K>>(s); break;
    default: break;
  }
}

}  // namespace dsv4::cpu::family
