// AVX-512 VNNI int8-path kernels for the 32-element block types (Q8_0 / Q8_1 activations, in the
// grouped layout of kernels.h). One step is a group of four blocks: the first halves of their
// codes in one register, the second halves in another, matching the activation bytes; vpdpbusd
// multiplies unsigned × signed bytes, so signed codes go in as |w| with the activation negated
// where w < 0 (exact integers). Both halves accumulate into the same lanes (lanes 4j..4j+3 =
// block j), which are scaled by d_w·d_a in f32 once per group.
#include "backend/cpu/act_layout.h"
#include "backend/cpu/kernels_family.h"
#include "backend/cpu/simd_avx512.h"
#include "format/ggml_type.h"

namespace dsv4::cpu::family {
namespace {

using namespace v512;

// Up to four blocks decoded (absent ones: zero codes, zero scale).
struct Group {
  __m512i lo, hi;               // codes of elements 0..15 / 16..31 of blocks 0..3 (|w| when signed)
  __mmask64 neg_lo = 0, neg_hi = 0;
  __m128 d4;                    // the four weight scales
  __m128 m4 = _mm_setzero_ps(); // Q4_1 / Q5_1 mins
};

// 16 bytes of each present block at offset `off`, blocks in 128-bit lanes 0..3.
inline __m512i lanes16(const uint8_t *w, int bytes, int nb, int off) {
  __m512i v = _mm512_castsi128_si512(_mm_loadu_si128(reinterpret_cast<const __m128i *>(w + off)));
  if (nb > 1) v = _mm512_inserti32x4(v, _mm_loadu_si128(reinterpret_cast<const __m128i *>(w + bytes + off)), 1);
  else v = _mm512_inserti32x4(v, _mm_setzero_si128(), 1);
  v = _mm512_inserti32x4(v, nb > 2 ? _mm_loadu_si128(reinterpret_cast<const __m128i *>(w + 2 * bytes + off))
                                   : _mm_setzero_si128(), 2);
  v = _mm512_inserti32x4(v, nb > 3 ? _mm_loadu_si128(reinterpret_cast<const __m128i *>(w + 3 * bytes + off))
                                   : _mm_setzero_si128(), 3);
  return v;
}
// fp16 values at offset `off` of each present block (0 for absent ones).
inline __m128 scales4(const uint8_t *w, int bytes, int nb, int off) {
  uint64_t h = 0;
  for (int j = 0; j < nb; ++j) h |= static_cast<uint64_t>(ld16(w + j * bytes + off)) << (16 * j);
  return _mm_cvtph_ps(_mm_cvtsi64_si128(static_cast<long long>(h)));
}
// Bit 16h + i of each block's 32-bit qh, for lanes 16j + i.
inline void high_masks(const uint8_t *w, int bytes, int nb, int off, __mmask64 &lo, __mmask64 &hi) {
  uint64_t l = 0, h = 0;
  for (int j = 0; j < nb; ++j) {
    const uint32_t qh = ld32(w + j * bytes + off);
    l |= static_cast<uint64_t>(qh & 0xFFFF) << (16 * j);
    h |= static_cast<uint64_t>(qh >> 16) << (16 * j);
  }
  lo = l;
  hi = h;
}
inline void set_signed(Group &g, __m512i lo, __m512i hi) {
  g.neg_lo = _mm512_movepi8_mask(lo);
  g.neg_hi = _mm512_movepi8_mask(hi);
  g.lo = _mm512_abs_epi8(lo);
  g.hi = _mm512_abs_epi8(hi);
}
inline void split_nibbles(__m512i v, __m512i &lo, __m512i &hi) {
  const __m512i m = _mm512_set1_epi8(15);
  lo = _mm512_and_si512(v, m);
  hi = _mm512_and_si512(_mm512_srli_epi16(v, 4), m);
}

// |code| by table lookup, the sign from the nibble (one shuffle and one test per half).
inline void signed_by_table(Group &g, __m512i lo, __m512i hi, __m512i abs_table, bool negative_when_bit3) {
  const __m512i bit3 = _mm512_set1_epi8(8);
  g.lo = _mm512_shuffle_epi8(abs_table, lo);
  g.hi = _mm512_shuffle_epi8(abs_table, hi);
  g.neg_lo = negative_when_bit3 ? _mm512_test_epi8_mask(lo, bit3) : _mm512_testn_epi8_mask(lo, bit3);
  g.neg_hi = negative_when_bit3 ? _mm512_test_epi8_mask(hi, bit3) : _mm512_testn_epi8_mask(hi, bit3);
}

struct Q4_0 {
  static constexpr int kBytes = 18;
  static constexpr bool kSigned = true, kMin = false;
  static void decode(const uint8_t *w, int nb, Group &g) {
    __m512i lo, hi;
    split_nibbles(lanes16(w, kBytes, nb, 2), lo, hi);
    // code = nibble − 8: negative for nibbles 0..7.
    const __m512i table = _mm512_broadcast_i32x4(_mm_setr_epi8(8, 7, 6, 5, 4, 3, 2, 1, 0, 1, 2, 3, 4, 5, 6, 7));
    signed_by_table(g, lo, hi, table, false);
    g.d4 = scales4(w, kBytes, nb, 0);
  }
};
struct Q5_0 {
  static constexpr int kBytes = 22;
  static constexpr bool kSigned = true, kMin = false;
  static void decode(const uint8_t *w, int nb, Group &g) {
    __m512i lo, hi;
    split_nibbles(lanes16(w, kBytes, nb, 6), lo, hi);
    __mmask64 ml, mh;
    high_masks(w, kBytes, nb, 2, ml, mh);
    const __m512i sixteen = _mm512_set1_epi8(16);
    lo = _mm512_mask_add_epi8(lo, ml, lo, sixteen);
    hi = _mm512_mask_add_epi8(hi, mh, hi, sixteen);
    set_signed(g, _mm512_sub_epi8(lo, sixteen), _mm512_sub_epi8(hi, sixteen));
    g.d4 = scales4(w, kBytes, nb, 0);
  }
};
struct Q8_0 {
  static constexpr int kBytes = 34;
  static constexpr bool kSigned = true, kMin = false;
  static void decode(const uint8_t *w, int nb, Group &g) {
    set_signed(g, lanes16(w, kBytes, nb, 2), lanes16(w, kBytes, nb, 18));
    g.d4 = scales4(w, kBytes, nb, 0);
  }
};
struct Mxfp4 {
  static constexpr int kBytes = 17;
  static constexpr bool kSigned = true, kMin = false;
  static void decode(const uint8_t *w, int nb, Group &g) {
    // The doubled E2M1 magnitudes; codes 8..15 are negative (code 8 is 0 either way).
    const __m512i table = _mm512_broadcast_i32x4(_mm_setr_epi8(0, 1, 2, 3, 4, 6, 8, 12, 0, 1, 2, 3, 4, 6, 8, 12));
    __m512i lo, hi;
    split_nibbles(lanes16(w, kBytes, nb, 1), lo, hi);
    signed_by_table(g, lo, hi, table, true);
    // 2^(e−128) for the four exponent bytes: (e−1)·2^23 as float bits, or 2^21·2^e for e < 2.
    uint32_t es = 0;
    for (int j = 0; j < nb; ++j) es |= static_cast<uint32_t>(w[j * kBytes]) << (8 * j);
    const __m128i e = _mm_cvtepu8_epi32(_mm_cvtsi32_si128(static_cast<int>(es)));
    const __m128i normal = _mm_slli_epi32(_mm_sub_epi32(e, _mm_set1_epi32(1)), 23);
    const __m128i tiny = _mm_sllv_epi32(_mm_set1_epi32(0x00200000), e);
    const __mmask8 big = _mm_cmpge_epu32_mask(e, _mm_set1_epi32(2));
    g.d4 = _mm_castsi128_ps(_mm_mask_blend_epi32(big, tiny, normal));
  }
};
struct Q4_1 {
  static constexpr int kBytes = 20;
  static constexpr bool kSigned = false, kMin = true;
  static void decode(const uint8_t *w, int nb, Group &g) {
    split_nibbles(lanes16(w, kBytes, nb, 4), g.lo, g.hi);
    g.d4 = scales4(w, kBytes, nb, 0);
    g.m4 = scales4(w, kBytes, nb, 2);
  }
};
struct Q5_1 {
  static constexpr int kBytes = 24;
  static constexpr bool kSigned = false, kMin = true;
  static void decode(const uint8_t *w, int nb, Group &g) {
    __m512i lo, hi;
    split_nibbles(lanes16(w, kBytes, nb, 8), lo, hi);
    __mmask64 ml, mh;
    high_masks(w, kBytes, nb, 4, ml, mh);
    const __m512i sixteen = _mm512_set1_epi8(16);
    g.lo = _mm512_mask_add_epi8(lo, ml, lo, sixteen);
    g.hi = _mm512_mask_add_epi8(hi, mh, hi, sixteen);
    g.d4 = scales4(w, kBytes, nb, 0);
    g.m4 = scales4(w, kBytes, nb, 2);
  }
};

template <class Dec>
struct Kernel {
  template <int NT>
  static void run(const uint8_t *w, const void *const *xq, int64_t n, float *out) {
    __m512 acc[NT];
    __m128 macc[NT];
    for (int t = 0; t < NT; ++t) {
      acc[t] = _mm512_setzero_ps();
      macc[t] = _mm_setzero_ps();
    }
    const __m512i expand = _mm512_srli_epi32(_mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15), 2);
    const int64_t nb = n / 32;
    // Blocks b .. b+present-1 (present is the constant 4 in the main loop, so its tests fold away).
    auto group = [&](int64_t b, int present) __attribute__((always_inline)) {
      Group g;
      Dec::decode(w + b * Dec::kBytes, present, g);
      const __m512 dw = _mm512_permutexvar_ps(expand, _mm512_castps128_ps512(g.d4));  // [d_j ×4]
      for (int t = 0; t < NT; ++t) {
        const int8_t *a = act::qs(xq[t]) + 32 * b;
        __m512i alo = _mm512_loadu_si512(a), ahi = _mm512_loadu_si512(a + 64);
        if constexpr (Dec::kSigned) {
          alo = _mm512_mask_sub_epi8(alo, g.neg_lo, _mm512_setzero_si512(), alo);
          ahi = _mm512_mask_sub_epi8(ahi, g.neg_hi, _mm512_setzero_si512(), ahi);
        }
        const __m512i dp = _mm512_dpbusd_epi32(_mm512_dpbusd_epi32(_mm512_setzero_si512(), g.lo, alo), g.hi, ahi);
        const __m512 scale = _mm512_mul_ps(dw, _mm512_loadu_ps(act::dl(xq[t], n) + 4 * b));
        acc[t] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(dp), scale, acc[t]);
        if constexpr (Dec::kMin) macc[t] = _mm_fmadd_ps(g.m4, _mm_loadu_ps(act::s(xq[t], n) + b), macc[t]);
      }
    };
    int64_t b = 0;
    for (; b + 4 <= nb; b += 4) group(b, 4);
    if (b < nb) group(b, static_cast<int>(nb - b));
    for (int t = 0; t < NT; ++t) {
      float r = _mm512_reduce_add_ps(acc[t]);
      if constexpr (Dec::kMin) {
        const __m128 m2 = _mm_add_ps(macc[t], _mm_movehl_ps(macc[t], macc[t]));
        r += _mm_cvtss_f32(_mm_add_ss(m2, _mm_movehdup_ps(m2)));
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

void avx512_q8(uint32_t type, Slots &s) {
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
