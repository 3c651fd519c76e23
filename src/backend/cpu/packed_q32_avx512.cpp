// AVX-512 VNNI kernel of the packed Q4_0 / Q8_0 / MXFP4 layouts (packed_q32.cpp). One int32 lane
// per row of the group: each 64-byte chunk of codes (4 bytes of each of the 16 rows) is decoded
// once into unsigned bytes u = code + offset (Q4_0: the nibble, offset 8; Q8_0: q + 128, stored so;
// MXFP4: the doubled E2M1 value + 12 by vpshufb, offset 12) and fed to vpdpbusd against a 4-byte
// broadcast of the matching activation codes, for every token of the tile. The exact block sum
// Σ (u − offset)·a = Σ u·a − offset·Σa starts from −offset·Σa, taken from a small table computed
// per call; then one FMA per block and row combines it in f32 with d_w·d_a (MXFP4: d_a·2^(e−128)
// by vscalefps, the same bits as the reference's product with the e8m0 power of two).
#include <algorithm>

#include "backend/cpu/act_layout.h"
#include "backend/cpu/packed_family.h"
#include "backend/cpu/simd_avx512.h"
#include "format/ggml_type.h"

namespace dsv4::cpu::family {
namespace {

using namespace v512;

// Blocks whose activation sums are held at once (per token; a multiple of 4 = one kQ8_0 group).
constexpr int64_t kChunk = 128;

// acc += w (unsigned bytes) · the 4 activation bytes at a (signed), broadcast to every lane.
// A separate vpbroadcastd (a plain load), as GCC emits it, rather than vpdpbusd's embedded
// {1to16} operand, which issues at a third of the rate on Zen 5.
inline __m512i dpbusd_bcast(__m512i acc, __m512i w, const int8_t *a) {
  return _mm512_dpbusd_epi32(acc, w, _mm512_set1_epi32(static_cast<int>(ld32(reinterpret_cast<const uint8_t *>(a)))));
}

// The int32 sums of one block for NT tokens, each split into K independent chains: with few
// tokens the 8 dependent vpdpbusd of a block would otherwise leave the multipliers idle.
template <int NT, int K>
struct BlockAcc {
  __m512i s[K][NT];
  // Chain 0 starts from the block's −offset·Σa, so that sum() is the exact block sum.
  BlockAcc(const int32_t (*bias)[kChunk], int64_t i) {
#pragma GCC unroll 8
    for (int t = 0; t < NT; ++t) s[0][t] = _mm512_set1_epi32(bias[t][i]);
#pragma GCC unroll 8
    for (int k = 1; k < K; ++k)
#pragma GCC unroll 8
      for (int t = 0; t < NT; ++t) s[k][t] = _mm512_setzero_si512();
  }
  // Step i of the block goes to chain i % K.
  void add(int i, int t, __m512i w, const int8_t *a) { s[i % K][t] = dpbusd_bcast(s[i % K][t], w, a); }
  __m512i sum(int t) const {
    __m512i r = s[0][t];
#pragma GCC unroll 8
    for (int k = 1; k < K; ++k) r = _mm512_add_epi32(r, s[k][t]);
    return r;
  }
};

// The 4-bit types: chunk c pairs elements 4c.. (low nibbles) with 16+4c.. (high nibbles), which
// sit 64 bytes apart in the activation group.
template <class Decode, int NT, int K>
inline void dot_nibbles(const uint8_t *codes, const int8_t *const *a, BlockAcc<NT, K> &s) {
  const __m512i m = _mm512_set1_epi8(15);
#pragma GCC unroll 4
  for (int c = 0; c < 4; ++c) {
    const __m512i v = _mm512_load_si512(codes + 64 * c);
    const __m512i lo = Decode::map(_mm512_and_si512(v, m));
    const __m512i hi = Decode::map(_mm512_and_si512(_mm512_srli_epi16(v, 4), m));
#pragma GCC unroll 8
    for (int t = 0; t < NT; ++t) {
      s.add(2 * c, t, lo, a[t] + 4 * c);
      s.add(2 * c + 1, t, hi, a[t] + 64 + 4 * c);
    }
  }
}

// fp16 d per row, combined with the activation scale by a product (Q4_0, Q8_0).
struct Fp16Scale {
  static constexpr int kScaleBytes = 32;
  static __m512 load(const uint8_t *p) { return _mm512_cvtph_ps(_mm256_load_si256(reinterpret_cast<const __m256i *>(p))); }
  static __m512 combine(__m512 dw, float da) { return _mm512_mul_ps(dw, _mm512_set1_ps(da)); }
};

struct Q4_0 : Fp16Scale {
  static constexpr int kCodeBytes = 256, kOffset = 8;
  static __m512i map(__m512i nibble) { return nibble; }
  template <int NT, int K>
  static void dot(const uint8_t *codes, const int8_t *const *a, BlockAcc<NT, K> &s) { dot_nibbles<Q4_0>(codes, a, s); }
};

struct Q8_0 : Fp16Scale {
  static constexpr int kCodeBytes = 512, kOffset = 128;
  template <int NT, int K>
  static void dot(const uint8_t *codes, const int8_t *const *a, BlockAcc<NT, K> &s) {
#pragma GCC unroll 8
    for (int c = 0; c < 8; ++c) {
      const __m512i v = _mm512_load_si512(codes + 64 * c);
      const int at = c < 4 ? 4 * c : 64 + 4 * (c - 4);  // elements 4c..4c+3 in the activation group
#pragma GCC unroll 8
      for (int t = 0; t < NT; ++t) s.add(c, t, v, a[t] + at);
    }
  }
};

struct Mxfp4 {
  static constexpr int kCodeBytes = 256, kOffset = 12, kScaleBytes = 16;
  // The doubled E2M1 values {0,1,2,3,4,6,8,12, 0,−1,−2,−3,−4,−6,−8,−12} plus 12.
  static __m512i map(__m512i nibble) {
    const __m512i table =
        _mm512_broadcast_i32x4(_mm_setr_epi8(12, 13, 14, 15, 16, 18, 20, 24, 12, 11, 10, 9, 8, 6, 4, 0));
    return _mm512_shuffle_epi8(table, nibble);
  }
  template <int NT, int K>
  static void dot(const uint8_t *codes, const int8_t *const *a, BlockAcc<NT, K> &s) { dot_nibbles<Mxfp4>(codes, a, s); }
  // e − 128 per row: d_a scaled by 2^(e−128) is one correctly rounded result, as the reference's
  // d_a · e8m0_half(e) (the subnormal powers of e = 0, 1 included).
  static __m512 load(const uint8_t *p) {
    const __m512i e = _mm512_cvtepu8_epi32(_mm_load_si128(reinterpret_cast<const __m128i *>(p)));
    return _mm512_cvtepi32_ps(_mm512_sub_epi32(e, _mm512_set1_epi32(128)));
  }
  static __m512 combine(__m512 e, float da) { return _mm512_scalef_ps(_mm512_set1_ps(da), e); }
};

// bias[i] = −offset · Σa over block b0 + i of one activation row, for blocks [b0, b1) (b0 a
// multiple of 4; whole groups of 4 are written, the activation rows being padded to whole groups).
template <int Offset>
void offset_bias(const int8_t *qa, int64_t b0, int64_t b1, int32_t *bias) {
  const __m512i w = _mm512_set1_epi8(static_cast<char>(Offset));
  const __m512i pick = _mm512_setr_epi32(0, 4, 8, 12, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0);
  for (int64_t b = b0; b < b1; b += 4, bias += 4) {
    const int8_t *g = qa + 32 * b;
    __m512i v = _mm512_dpbusd_epi32(_mm512_setzero_si512(), w, _mm512_load_si512(g));
    v = _mm512_dpbusd_epi32(v, w, _mm512_load_si512(g + 64));
    // Lanes 4j..4j+3 hold block j's partial sums: fold each 128-bit lane into its lane 4j.
    v = _mm512_add_epi32(v, _mm512_shuffle_epi32(v, _MM_PERM_BADC));
    v = _mm512_add_epi32(v, _mm512_shuffle_epi32(v, _MM_PERM_CDAB));
    v = _mm512_sub_epi32(_mm512_setzero_si512(), v);
    _mm_storeu_si128(reinterpret_cast<__m128i *>(bias), _mm512_castsi512_si128(_mm512_permutexvar_epi32(pick, v)));
  }
}

// NT tokens against one group. From 3 tokens on, the tokens alone give enough independent chains.
template <class T, int NT, int K = (NT >= 3 ? 1 : 2)>
void tile(const uint8_t *group, const void *const *xq, int64_t n, float *out) {
  const int64_t nb = n / 32;
  const uint8_t *scales = group + nb * T::kCodeBytes;
  const int8_t *qa[NT];
  const float *dl[NT];
  __m512 acc[NT];
#pragma GCC unroll 8
  for (int t = 0; t < NT; ++t) {
    qa[t] = act::qs(xq[t]);
    dl[t] = act::dl(xq[t], n);
    acc[t] = _mm512_setzero_ps();
  }
  alignas(64) int32_t bias[NT][kChunk];
  for (int64_t c0 = 0; c0 < nb; c0 += kChunk) {
    const int64_t c1 = std::min(nb, c0 + kChunk);
    for (int t = 0; t < NT; ++t) offset_bias<T::kOffset>(qa[t], c0, c1, bias[t]);
    // Two blocks per iteration: measured 15-30% faster for one token on Zen 5 (more independent
    // work in flight per loop turn), no change for long tiles.
#pragma GCC unroll 2
    for (int64_t b = c0; b < c1; ++b) {
      const int64_t pos = act::q8_0_pos(b, 0);
      const int8_t *a[NT];
#pragma GCC unroll 8
      for (int t = 0; t < NT; ++t) a[t] = qa[t] + pos;
      BlockAcc<NT, K> s(bias, b - c0);
      if (NT <= kPrefetchTiles) {
        const char *ahead = reinterpret_cast<const char *>(group + b * T::kCodeBytes + kPrefetchBytes);
        for (int l = 0; l < T::kCodeBytes; l += 64) _mm_prefetch(ahead + l, _MM_HINT_T0);
        // The scale stream, as many blocks ahead.
        _mm_prefetch(reinterpret_cast<const char *>(scales + (b + kPrefetchBytes / T::kCodeBytes) * T::kScaleBytes),
                     _MM_HINT_T0);
      }
      T::dot(group + b * T::kCodeBytes, a, s);
      const __m512 w = T::load(scales + b * T::kScaleBytes);
#pragma GCC unroll 8
      for (int t = 0; t < NT; ++t)
        acc[t] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(s.sum(t)), T::combine(w, dl[t][4 * b]), acc[t]);
    }
  }
#pragma GCC unroll 8
  for (int t = 0; t < NT; ++t) _mm512_storeu_ps(out + t * kPackRows, acc[t]);
}

// Tiles of 8 tokens (each code vector decoded once for all of them), then at most one each of
// 4, 2 and 1 for the rest.
template <class T>
void gemv(const uint8_t *group, const void *const *xq, int64_t nt, int64_t n, float *out) {
  int64_t t = 0;
  for (; t + 8 <= nt; t += 8) tile<T, 8>(group, xq + t, n, out + t * kPackRows);
  if (nt - t >= 4) { tile<T, 4>(group, xq + t, n, out + t * kPackRows); t += 4; }
  if (nt - t >= 2) { tile<T, 2>(group, xq + t, n, out + t * kPackRows); t += 2; }
  if (nt - t >= 1) tile<T, 1>(group, xq + t, n, out + t * kPackRows);
}

}  // namespace

void avx512_packed_q32(PackedLayout &l) {
  switch (l.type) {
    case GGML_Q4_0: l.gemv_avx512 = gemv<Q4_0>; break;
    case GGML_Q8_0: l.gemv_avx512 = gemv<Q8_0>; break;
    case GGML_MXFP4: l.gemv_avx512 = gemv<Mxfp4>; break;
    default: break;
  }
}

}  // namespace dsv4::cpu::family
