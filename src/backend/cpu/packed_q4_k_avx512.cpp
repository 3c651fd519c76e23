// AVX-512 VNNI kernel of packed Q4_K (layout in packed_q4_k.cpp): one int32 lane per row, so no
// per-row reduction and no scale decoding. Per 64-byte code line and token, against an 8-byte
// activation broadcast: X = vpdpbusd(whole bytes) = lo + 16·hi and Y = vpdpbusd(bytes & 0xF0) =
// 16·hi, so lo = X − Y, and the high nibbles, which belong to the neighbour row, come back with a
// swap of adjacent lanes and >> 4 (exact: a multiple of 16). Per 32-element sub-block the row sums
// times the row's scale in exact int32 (|Σ| ≤ 32·15·128, ·63, ·8 sub-blocks < 2^25); the mins
// through the per-32 activation sums (int16 pairs: ≤ 32·128) in vpdpwssd; per 256-block one f32
// FMA each for d_a·d and d_a·dmin. Several tokens share each code line (tiles of up to 4 tokens).
#include <cstring>

#include "backend/cpu/act_layout.h"
#include "backend/cpu/packed_family.h"
#include "backend/cpu/simd_avx512.h"

namespace dsv4::cpu::family {
namespace {

using namespace v512;

constexpr int64_t kBlockBytes = 2368, kScales = 2048, kMins = 2176, kD = 2304, kDmin = 2336;

inline __m512i bcast8(const int8_t *p) {
  long long v;
  std::memcpy(&v, p, 8);
  return _mm512_set1_epi64(v);
}

template <int NT>
void tile(const uint8_t *group, const void *const *xq, int64_t n, float *out) {
  const __m512i m_hi = _mm512_set1_epi8(static_cast<char>(0xF0));
  const int8_t *qa[NT];
  const float *da[NT];
  const int16_t *bs[NT];
  __m512 acc[NT];
  for (int t = 0; t < NT; ++t) {
    qa[t] = act::qs(xq[t]);
    da[t] = act::kd(xq[t], n);
    bs[t] = act::kbsums(xq[t], n);
    acc[t] = _mm512_setzero_ps();
  }
  for (int64_t b = 0; b < n / 256; ++b) {
    const uint8_t *p = group + b * kBlockBytes;
    __m512i isum[NT];
    for (int t = 0; t < NT; ++t) isum[t] = _mm512_setzero_si512();
    for (int s = 0; s < 8; ++s) {
      if (NT <= kPrefetchTiles) {
        const char *ahead = reinterpret_cast<const char *>(p) + kPrefetchBytes + 64 * 5 * s;
        for (int l = 0; l < 5 * 64; l += 64) _mm_prefetch(ahead + l, _MM_HINT_T0);
      }
      __m512i x[NT], y[NT];
      for (int t = 0; t < NT; ++t) x[t] = y[t] = _mm512_setzero_si512();
      for (int j = 0; j < 4; ++j) {
        const __m512i v = _mm512_load_si512(p + 64 * (4 * s + j));
        const __m512i vh = _mm512_and_si512(v, m_hi);
        for (int t = 0; t < NT; ++t) {
          const __m512i a = bcast8(qa[t] + 256 * b + 32 * s + 8 * j);
          x[t] = _mm512_dpbusd_epi32(x[t], v, a);
          y[t] = _mm512_dpbusd_epi32(y[t], vh, a);
        }
      }
      const __m512i sc = u8x16(p + kScales + 16 * s);
      for (int t = 0; t < NT; ++t) {
        const __m512i hi = _mm512_srai_epi32(_mm512_shuffle_epi32(y[t], _MM_PERM_CDAB), 4);
        const __m512i sum = _mm512_add_epi32(_mm512_sub_epi32(x[t], y[t]), hi);
        isum[t] = _mm512_add_epi32(isum[t], _mm512_mullo_epi32(sum, sc));
      }
    }
    __m512i mins[4];
    for (int k = 0; k < 4; ++k)
      mins[k] = _mm512_cvtepu8_epi16(_mm256_load_si256(reinterpret_cast<const __m256i *>(p + kMins + 32 * k)));
    const __m512 d = _mm512_cvtph_ps(_mm256_load_si256(reinterpret_cast<const __m256i *>(p + kD)));
    const __m512 dmin = _mm512_cvtph_ps(_mm256_load_si256(reinterpret_cast<const __m256i *>(p + kDmin)));
    for (int t = 0; t < NT; ++t) {
      // Per-32 sums of the activation block as int16: dword k = sub-blocks 2k, 2k+1.
      const __m128i *q = reinterpret_cast<const __m128i *>(bs[t] + 16 * b);
      const __m128i pairs = _mm_hadd_epi16(_mm_loadu_si128(q), _mm_loadu_si128(q + 1));
      __m512i msum = _mm512_dpwssd_epi32(_mm512_setzero_si512(), mins[0], _mm512_broadcastd_epi32(pairs));
      msum = _mm512_dpwssd_epi32(msum, mins[1], _mm512_broadcastd_epi32(_mm_shuffle_epi32(pairs, 0x55)));
      msum = _mm512_dpwssd_epi32(msum, mins[2], _mm512_broadcastd_epi32(_mm_shuffle_epi32(pairs, 0xAA)));
      msum = _mm512_dpwssd_epi32(msum, mins[3], _mm512_broadcastd_epi32(_mm_shuffle_epi32(pairs, 0xFF)));
      const __m512 dat = _mm512_set1_ps(da[t][b]);
      acc[t] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(isum[t]), _mm512_mul_ps(dat, d), acc[t]);
      acc[t] = _mm512_fnmadd_ps(_mm512_cvtepi32_ps(msum), _mm512_mul_ps(dat, dmin), acc[t]);
    }
  }
  for (int t = 0; t < NT; ++t) _mm512_storeu_ps(out + 16 * t, acc[t]);
}

void gemv(const uint8_t *group, const void *const *xq, int64_t nt, int64_t n, float *out) {
  int64_t t = 0;
  for (; t + 4 <= nt; t += 4) tile<4>(group, xq + t, n, out + 16 * t);
  switch (nt - t) {
    case 3: tile<3>(group, xq + t, n, out + 16 * t); break;
    case 2: tile<2>(group, xq + t, n, out + 16 * t); break;
    case 1: tile<1>(group, xq + t, n, out + 16 * t); break;
    default: break;
  }
}

}  // namespace

void avx512_packed_q4_k(PackedLayout &l) { l.gemv_avx512 = gemv; }

}  // namespace dsv4::cpu::family
