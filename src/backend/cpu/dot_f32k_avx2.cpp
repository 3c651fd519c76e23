// AVX2 exact-path kernels for the K-quants: codes widened to int32 lanes 8 at a time, scaled in
// f32 (x = ds·q − dm, or (d·S)·c), FMA with f32 activations.
#include "backend/cpu/kernels_family.h"
#include "backend/cpu/simd_avx2.h"
#include "format/ggml_type.h"

namespace dsv4::cpu::family {
namespace {

using namespace v256;

template <class Dec>
struct KBlocks {
  template <int NT>
  static void run(const uint8_t *w, const float *const *x, int64_t n, float *out) {
    AccF32<NT> acc(x);
    for (int64_t b = 0; b < n / 256; ++b) Dec::block(w + b * Dec::kBytes, 256 * b, acc);
    acc.finish(out);
  }
};

inline __m256 cvt(__m256i v) { return _mm256_cvtepi32_ps(v); }

struct Q2_K {
  static constexpr int kBytes = 84;
  template <class Acc>
  static void block(const uint8_t *p, int64_t base, Acc &acc) {
    const float d = fp16(p + 80), dmin = fp16(p + 82);
    const __m256i three = _mm256_set1_epi32(3);
    for (int n = 0; n < 2; ++n)
      for (int h = 0; h < 2; ++h) {
        const __m256i q0 = u8x8(p + 16 + 32 * n + 16 * h), q1 = u8x8(p + 24 + 32 * n + 16 * h);
        for (int j = 0; j < 4; ++j) {
          const int sub = 8 * n + 2 * j + h;
          const __m256 ds = _mm256_set1_ps(d * static_cast<float>(p[sub] & 15));
          const __m256 dm = _mm256_set1_ps(dmin * static_cast<float>(p[sub] >> 4));
          acc.template add<0>(base + 16 * sub, _mm256_fmsub_ps(cvt(_mm256_and_si256(srl32(q0, 2 * j), three)), ds, dm));
          acc.template add<1>(base + 16 * sub + 8, _mm256_fmsub_ps(cvt(_mm256_and_si256(srl32(q1, 2 * j), three)), ds, dm));
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
    const __m256i three = _mm256_set1_epi32(3), four = _mm256_set1_epi32(4), one = _mm256_set1_epi32(1);
    for (int h = 0; h < 2; ++h) {
      const __m256i hm0 = u8x8(p + 16 * h), hm1 = u8x8(p + 16 * h + 8);
      for (int n = 0; n < 2; ++n) {
        const __m256i q0 = u8x8(p + 32 + 32 * n + 16 * h), q1 = u8x8(p + 40 + 32 * n + 16 * h);
        for (int j = 0; j < 4; ++j) {
          const int sub = 8 * n + 2 * j + h, hbit = 4 * n + j;
          const __m256 ds = _mm256_set1_ps(d * static_cast<float>(sc.scale(sub)));
          const __m256i c0 = _mm256_sub_epi32(_mm256_add_epi32(_mm256_and_si256(srl32(q0, 2 * j), three),
                                                               _mm256_slli_epi32(_mm256_and_si256(srl32(hm0, hbit), one), 2)), four);
          const __m256i c1 = _mm256_sub_epi32(_mm256_add_epi32(_mm256_and_si256(srl32(q1, 2 * j), three),
                                                               _mm256_slli_epi32(_mm256_and_si256(srl32(hm1, hbit), one), 2)), four);
          acc.template add<0>(base + 16 * sub, _mm256_mul_ps(cvt(c0), ds));
          acc.template add<1>(base + 16 * sub + 8, _mm256_mul_ps(cvt(c1), ds));
        }
      }
    }
  }
};

template <bool kFive>
struct Q45_K {
  static constexpr int kBytes = kFive ? 176 : 144;
  template <class Acc>
  static void block(const uint8_t *p, int64_t base, Acc &acc) {
    const ScaleMin sm = scale_min_k4(p + 4);
    const float d = fp16(p), dmin = fp16(p + 2);
    const uint8_t *qs = p + (kFive ? 48 : 16);
    const __m256i fifteen = _mm256_set1_epi32(15), one = _mm256_set1_epi32(1);
    for (int c = 0; c < 4; ++c) {
      const __m256 ds0 = _mm256_set1_ps(d * static_cast<float>(sm.scale(2 * c)));
      const __m256 dm0 = _mm256_set1_ps(dmin * static_cast<float>(sm.min(2 * c)));
      const __m256 ds1 = _mm256_set1_ps(d * static_cast<float>(sm.scale(2 * c + 1)));
      const __m256 dm1 = _mm256_set1_ps(dmin * static_cast<float>(sm.min(2 * c + 1)));
      for (int l = 0; l < 32; l += 8) {
        const __m256i q = u8x8(qs + 32 * c + l);
        __m256i lo = _mm256_and_si256(q, fifteen), hi = _mm256_srli_epi32(q, 4);
        if constexpr (kFive) {
          const __m256i qh = u8x8(p + 16 + l);
          lo = _mm256_or_si256(lo, _mm256_slli_epi32(_mm256_and_si256(srl32(qh, 2 * c), one), 4));
          hi = _mm256_or_si256(hi, _mm256_slli_epi32(_mm256_and_si256(srl32(qh, 2 * c + 1), one), 4));
        }
        acc.template add<0>(base + 64 * c + l, _mm256_fmsub_ps(cvt(lo), ds0, dm0));
        acc.template add<1>(base + 64 * c + 32 + l, _mm256_fmsub_ps(cvt(hi), ds1, dm1));
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
    const __m256i fifteen = _mm256_set1_epi32(15), three = _mm256_set1_epi32(3), off = _mm256_set1_epi32(32);
    for (int n = 0; n < 2; ++n)
      for (int l = 0; l < 32; l += 8) {
        const __m256i qh = u8x8(p + 128 + 32 * n + l);
        const __m256i ql0 = u8x8(p + 64 * n + l), ql1 = u8x8(p + 64 * n + 32 + l);
        auto weights = [&](int k) {
          const __m256i ql = (k & 1) ? ql1 : ql0;
          const __m256i low = k < 2 ? _mm256_and_si256(ql, fifteen) : _mm256_srli_epi32(ql, 4);
          const __m256i high = _mm256_slli_epi32(_mm256_and_si256(srl32(qh, 2 * k), three), 4);
          const __m256i c = _mm256_sub_epi32(_mm256_or_si256(low, high), off);
          return _mm256_mul_ps(cvt(c), _mm256_set1_ps(d * static_cast<float>(sc[(128 * n + 32 * k + l) / 16])));
        };
        for (int k = 0; k < 4; k += 2) {
          acc.template add<0>(base + 128 * n + 32 * k + l, weights(k));
          acc.template add<1>(base + 128 * n + 32 * (k + 1) + l, weights(k + 1));
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

void avx2_f32k(uint32_t type, Slots &s) {
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
