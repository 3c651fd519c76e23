// AVX2 int8-path kernels for the 32-element block types (Q8_0 / Q8_1 activations, in the grouped
// layout of kernels.h). One step is a pair of blocks: the first halves of their codes in one
// register, the second halves in another, matching 32 + 32 activation bytes; vpmaddubsw of |w|
// with the activation carrying w's sign (|pair sums| ≤ 2·128·127 fit int16), vpmaddwd to int32
// (lanes 0–3 block b, 4–7 block b+1), one f32 FMA with d_w·d_a. Two accumulators alternate.
#include "backend/cpu/act_layout.h"
#include "backend/cpu/kernels_family.h"
#include "backend/cpu/simd_avx2.h"
#include "format/ggml_type.h"

namespace dsv4::cpu::family {
namespace {

using namespace v256;

// 16 bytes at offset `off` of block 0 and (if present) block 1.
inline __m256i two16(const uint8_t *w, int bytes, bool two, int off) {
  const __m128i a = _mm_loadu_si128(reinterpret_cast<const __m128i *>(w + off));
  const __m128i b = two ? _mm_loadu_si128(reinterpret_cast<const __m128i *>(w + bytes + off)) : _mm_setzero_si128();
  return _mm256_set_m128i(b, a);
}
inline void split_nibbles(__m256i v, __m256i &lo, __m256i &hi) {
  const __m256i m = _mm256_set1_epi8(15);
  lo = _mm256_and_si256(v, m);
  hi = _mm256_and_si256(_mm256_srli_epi16(v, 4), m);
}
// 16 where bit i (lo: elements 0..15) or 16 + i (hi) of the block's qh is set, block j in lane j.
inline void high_bits(const uint8_t *w, int bytes, bool two, int off, __m256i &lo, __m256i &hi) {
  const uint32_t q0 = ld32(w + off), q1 = two ? ld32(w + bytes + off) : 0;
  const __m256i v = _mm256_set_epi32(0, 0, static_cast<int>(q1), static_cast<int>(q1), 0, 0, static_cast<int>(q0),
                                     static_cast<int>(q0));
  // Byte i of each 128-bit lane picks qh byte i/8 (lo) or 2 + i/8 (hi) of that lane's block.
  const __m256i sel_lo = _mm256_setr_epi8(0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1,
                                          0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1);
  const __m256i sel_hi = _mm256_add_epi8(sel_lo, _mm256_set1_epi8(2));
  const __m256i bits = _mm256_set1_epi64x(static_cast<long long>(0x8040201008040201ull));
  const __m256i sixteen = _mm256_set1_epi8(16);
  lo = _mm256_and_si256(_mm256_cmpeq_epi8(_mm256_and_si256(_mm256_shuffle_epi8(v, sel_lo), bits), bits), sixteen);
  hi = _mm256_and_si256(_mm256_cmpeq_epi8(_mm256_and_si256(_mm256_shuffle_epi8(v, sel_hi), bits), bits), sixteen);
}

// lo/hi: codes (signed for kSigned); d2/m2: the two blocks' scales and mins (0 when absent).
struct Pair {
  __m256i lo, hi;
  float d0 = 0, d1 = 0, m0 = 0, m1 = 0;
};

struct Q4_0 {
  static constexpr int kBytes = 18;
  static constexpr bool kSigned = true, kMin = false, kSmall = true;  // |codes| ≤ 16: int16 sums of both halves fit
  static void decode(const uint8_t *w, bool two, Pair &p) {
    split_nibbles(two16(w, kBytes, two, 2), p.lo, p.hi);
    p.lo = _mm256_sub_epi8(p.lo, _mm256_set1_epi8(8));
    p.hi = _mm256_sub_epi8(p.hi, _mm256_set1_epi8(8));
    p.d0 = fp16(w);
    p.d1 = two ? fp16(w + kBytes) : 0.0f;
  }
};
struct Q5_0 {
  static constexpr int kBytes = 22;
  static constexpr bool kSigned = true, kMin = false, kSmall = true;
  static void decode(const uint8_t *w, bool two, Pair &p) {
    split_nibbles(two16(w, kBytes, two, 6), p.lo, p.hi);
    __m256i hl, hh;
    high_bits(w, kBytes, two, 2, hl, hh);
    const __m256i sixteen = _mm256_set1_epi8(16);
    p.lo = _mm256_sub_epi8(_mm256_or_si256(p.lo, hl), sixteen);
    p.hi = _mm256_sub_epi8(_mm256_or_si256(p.hi, hh), sixteen);
    p.d0 = fp16(w);
    p.d1 = two ? fp16(w + kBytes) : 0.0f;
  }
};
struct Q8_0 {
  static constexpr int kBytes = 34;
  static constexpr bool kSigned = true, kMin = false, kSmall = false;
  static void decode(const uint8_t *w, bool two, Pair &p) {
    p.lo = two16(w, kBytes, two, 2);
    p.hi = two16(w, kBytes, two, 18);
    p.d0 = fp16(w);
    p.d1 = two ? fp16(w + kBytes) : 0.0f;
  }
};
struct Mxfp4 {
  static constexpr int kBytes = 17;
  static constexpr bool kSigned = true, kMin = false, kSmall = true;
  static void decode(const uint8_t *w, bool two, Pair &p) {
    const __m256i table = _mm256_setr_epi8(0, 1, 2, 3, 4, 6, 8, 12, 0, -1, -2, -3, -4, -6, -8, -12,
                                           0, 1, 2, 3, 4, 6, 8, 12, 0, -1, -2, -3, -4, -6, -8, -12);
    __m256i lo, hi;
    split_nibbles(two16(w, kBytes, two, 1), lo, hi);
    p.lo = _mm256_shuffle_epi8(table, lo);
    p.hi = _mm256_shuffle_epi8(table, hi);
    p.d0 = e8m0_half(w[0]);
    p.d1 = two ? e8m0_half(w[kBytes]) : 0.0f;
  }
};
struct Q4_1 {
  static constexpr int kBytes = 20;
  static constexpr bool kSigned = false, kMin = true, kSmall = true;
  static void decode(const uint8_t *w, bool two, Pair &p) {
    split_nibbles(two16(w, kBytes, two, 4), p.lo, p.hi);
    p.d0 = fp16(w);
    p.m0 = fp16(w + 2);
    if (two) {
      p.d1 = fp16(w + kBytes);
      p.m1 = fp16(w + kBytes + 2);
    }
  }
};
struct Q5_1 {
  static constexpr int kBytes = 24;
  static constexpr bool kSigned = false, kMin = true, kSmall = true;
  static void decode(const uint8_t *w, bool two, Pair &p) {
    split_nibbles(two16(w, kBytes, two, 8), p.lo, p.hi);
    __m256i hl, hh;
    high_bits(w, kBytes, two, 4, hl, hh);
    p.lo = _mm256_or_si256(p.lo, hl);
    p.hi = _mm256_or_si256(p.hi, hh);
    p.d0 = fp16(w);
    p.m0 = fp16(w + 2);
    if (two) {
      p.d1 = fp16(w + kBytes);
      p.m1 = fp16(w + kBytes + 2);
    }
  }
};

template <class Dec>
struct Kernel {
  template <int NT>
  static void run(const uint8_t *w, const void *const *xq, int64_t n, float *out) {
    __m256 acc[NT][2];
    float msum[NT];
    for (int t = 0; t < NT; ++t) {
      acc[t][0] = acc[t][1] = _mm256_setzero_ps();
      msum[t] = 0.0f;
    }
    const int64_t nb = n / 32;
    // Blocks b, b+1 into accumulator P (a template argument so the accumulators stay in registers).
    auto step = [&]<int P>(int64_t b, bool two) __attribute__((always_inline)) {
      Pair p;
      Dec::decode(w + b * Dec::kBytes, two, p);
      const __m256i ulo = Dec::kSigned ? _mm256_sign_epi8(p.lo, p.lo) : p.lo;
      const __m256i uhi = Dec::kSigned ? _mm256_sign_epi8(p.hi, p.hi) : p.hi;
      const __m256 dw = _mm256_set_m128(_mm_set1_ps(p.d1), _mm_set1_ps(p.d0));
      const __m256i ones = _mm256_set1_epi16(1);
      const int64_t pos = act::q8_0_pos(b, 0);  // b even: the pair's first halves are adjacent
      for (int t = 0; t < NT; ++t) {
        const int8_t *a = act::qs(xq[t]) + pos;
        __m256i alo = _mm256_loadu_si256(reinterpret_cast<const __m256i *>(a));
        __m256i ahi = _mm256_loadu_si256(reinterpret_cast<const __m256i *>(a + 64));
        if constexpr (Dec::kSigned) {
          alo = _mm256_sign_epi8(alo, p.lo);
          ahi = _mm256_sign_epi8(ahi, p.hi);
        }
        __m256i dp;
        if constexpr (Dec::kSmall) {
          dp = _mm256_madd_epi16(_mm256_add_epi16(_mm256_maddubs_epi16(ulo, alo), _mm256_maddubs_epi16(uhi, ahi)), ones);
        } else {
          dp = _mm256_add_epi32(_mm256_madd_epi16(_mm256_maddubs_epi16(ulo, alo), ones),
                                _mm256_madd_epi16(_mm256_maddubs_epi16(uhi, ahi), ones));
        }
        const __m256 scale = _mm256_mul_ps(dw, _mm256_loadu_ps(act::dl(xq[t], n) + 4 * b));
        acc[t][P] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(dp), scale, acc[t][P]);
        if constexpr (Dec::kMin) {
          const float *s = act::s(xq[t], n) + b;
          msum[t] += p.m0 * s[0];
          if (two) msum[t] += p.m1 * s[1];
        }
      }
    };
    int64_t b = 0;
    for (; b + 4 <= nb; b += 4) {
      step.template operator()<0>(b, true);
      step.template operator()<1>(b + 2, true);
    }
    if (b < nb) step.template operator()<0>(b, b + 1 < nb);
    if (b + 2 < nb) step.template operator()<1>(b + 2, b + 3 < nb);
    for (int t = 0; t < NT; ++t) out[t] = hsum(_mm256_add_ps(acc[t][0], acc[t][1])) + msum[t];
  }
};

template <class Dec>
void set(Slots &s) {
  s.dot_q8 = q8_one<Kernel<Dec>>;
  s.dot_q8_xN = q8_xn<Kernel<Dec>>;
}

}  // namespace

void avx2_q8(uint32_t type, Slots &s) {
  switch (type) {
    case GGML_Q4_0: set<Q4_0>(s); break;
    case GGML_Q4_1: set<Q4_1>(s); break;
    case GGML_Q5_0: set<Q5_0>(s); break;
    case GGML_Q5_1: set<Q5_1>(s); break;
    case GGML_Q8_0: set<Q8_0>(s); break;
    case GGML_MXFP4: set<Mxfp4>(s); break;
    default: break;
  }
}

}  // namespace dsv4::cpu::family
