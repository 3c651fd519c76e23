// Quantizers of the K-quants for the model maker: Q2_K, Q3_K, Q4_K, Q5_K, Q6_K.
// Round-to-nearest per element under scales chosen from each sub-block's range (ggml's
// search-based quantizers give lower error; we only need deterministic, reasonable weights).
// Bit packing is the inverse of quant_k_dequant.cpp (spec §2.8–§2.13).
#include <algorithm>
#include <cmath>
#include <cstring>

#include "quant/quant_blocks.h"

namespace dsv4::quant_detail {
namespace {

// Affine super-block (Q2_K, Q4_K, Q5_K): x ≈ (d·SC_s)·q − (dmin·M_s), q ∈ 0…levels,
// SC_s, M_s ∈ 0…scale_max.
//  * Sub-block offset: m_s = −min(0, min x) ≥ 0 (the format's mins are unsigned), rounded to the
//    grid of dmin = max m_s / scale_max.
//  * Step: the smallest that reaches the sub-block's top, need_s = (max x + m̂_s) / levels,
//    rounded *up* to the grid of d = max need_s / scale_max, so the top never clamps.
//  * Codes: round((x + m̂_s) / step), clamped.
// So |x − x̂| ≤ step/2 + dmin/2 (the last term only when M_s rounded down clips the bottom).
struct AffineResult {
  uint16_t d16, dmin16;
  uint8_t scales[16], mins[16];
  uint8_t codes[kQKK];
};

void quantize_affine(const float *x, int sub_size, int levels, int scale_max, AffineResult &r) {
  const int n_sub = kQKK / sub_size;
  float offset[16], top[16];
  float max_offset = 0.0f;
  for (int s = 0; s < n_sub; ++s) {
    const float *xs = x + s * sub_size;
    float mn = 0.0f, mx = xs[0];
    for (int l = 0; l < sub_size; ++l) {
      mn = std::min(mn, xs[l]);
      mx = std::max(mx, xs[l]);
    }
    offset[s] = -mn;
    top[s] = mx;
    max_offset = std::max(max_offset, offset[s]);
  }
  r.dmin16 = fp16_scale_at_least(max_offset / static_cast<float>(scale_max));
  const float dmin = fp16_to_f32(r.dmin16);
  float need[16], max_need = 0.0f;
  for (int s = 0; s < n_sub; ++s) {
    r.mins[s] = dmin > 0.0f ? static_cast<uint8_t>(std::clamp(round_nearest_even(offset[s] / dmin), 0, scale_max)) : 0;
    const float m_hat = dmin * static_cast<float>(r.mins[s]);  // as dequantization forms it
    need[s] = std::max(0.0f, top[s] + m_hat) / static_cast<float>(levels);
    max_need = std::max(max_need, need[s]);
  }
  r.d16 = fp16_scale_at_least(max_need / static_cast<float>(scale_max));
  const float d = fp16_to_f32(r.d16);
  for (int s = 0; s < n_sub; ++s) {
    const int sc = d > 0.0f ? static_cast<int>(std::ceil(need[s] / d)) : 0;
    r.scales[s] = static_cast<uint8_t>(std::clamp(sc, 0, scale_max));
    const float step = d * static_cast<float>(r.scales[s]);
    const float m_hat = dmin * static_cast<float>(r.mins[s]);
    for (int l = 0; l < sub_size; ++l) {
      const int i = s * sub_size + l;
      const int q = step > 0.0f ? round_nearest_even((x[i] + m_hat) / step) : 0;
      r.codes[i] = static_cast<uint8_t>(std::clamp(q, 0, levels));
    }
  }
}

// Symmetric super-block with signed sub-scales (Q3_K, Q6_K): x ≈ (d·S_s)·c, c ∈ code_min…−code_min−1,
// S_s ∈ −scale_max…scale_max, 16 sub-blocks of 16. The sub-block's largest-magnitude element v
// should land on code_min, i.e. step v / code_min; that step is rounded away from zero onto the
// grid of d = max |step| / scale_max so no element exceeds code_min. Elements of the other sign
// can reach −code_min and clip to −code_min − 1: |x − x̂| ≤ |step|.
struct SymmetricResult {
  uint16_t d16;
  int scales[16];
  int codes[kQKK];
};

float signed_absmax(const float *x, int n) {
  float best = 0.0f;
  for (int j = 0; j < n; ++j)
    if (std::fabs(x[j]) > std::fabs(best)) best = x[j];
  return best;
}

void quantize_symmetric(const float *x, int code_min, int scale_max, SymmetricResult &r) {
  float want[16], max_want = 0.0f;
  for (int s = 0; s < 16; ++s) {
    want[s] = signed_absmax(x + 16 * s, 16) / static_cast<float>(code_min);
    max_want = std::max(max_want, std::fabs(want[s]));
  }
  r.d16 = fp16_scale_at_least(max_want / static_cast<float>(scale_max));
  const float d = fp16_to_f32(r.d16);
  for (int s = 0; s < 16; ++s) {
    const int mag = d > 0.0f ? std::min(static_cast<int>(std::ceil(std::fabs(want[s]) / d)), scale_max) : 0;
    r.scales[s] = want[s] < 0.0f ? -mag : mag;
    const float step = d * static_cast<float>(r.scales[s]);
    for (int l = 0; l < 16; ++l) {
      const int i = 16 * s + l;
      const int c = step != 0.0f ? round_nearest_even(x[i] / step) : 0;
      r.codes[i] = std::clamp(c, code_min, -code_min - 1);
    }
  }
}

// 2-bit codes of Q2_K / Q3_K: element 128n + 32j + 16h + l in bit pair j of qs[32n + 16h + l].
void pack_2bit(const uint8_t *q2, uint8_t *qs) {
  std::memset(qs, 0, 64);
  for (int i = 0; i < kQKK; ++i) {
    const int n = i / 128, j = (i % 128) / 32, rest = i % 32;
    qs[32 * n + rest] = static_cast<uint8_t>(qs[32 * n + rest] | (q2[i] & 3) << (2 * j));
  }
}

// Low nibbles of Q4_K / Q5_K: chunk c of 64 → low nibbles then high nibbles of qs[32c … 32c+31].
void pack_k_nibbles(const uint8_t *q, uint8_t *qs) {
  for (int c = 0; c < 4; ++c)
    for (int l = 0; l < 32; ++l)
      qs[32 * c + l] = static_cast<uint8_t>((q[64 * c + l] & 15) | (q[64 * c + 32 + l] & 15) << 4);
}

}  // namespace

void quantize_q2_k(const float *src, uint8_t *dst, int64_t nb) {
  for (int64_t b = 0; b < nb; ++b, src += kQKK, dst += kQ2_KBytes) {
    AffineResult r;
    quantize_affine(src, 16, 3, 15, r);
    for (int s = 0; s < 16; ++s) dst[s] = static_cast<uint8_t>(r.scales[s] | r.mins[s] << 4);
    pack_2bit(r.codes, dst + 16);
    store_u16(dst + 80, r.d16);
    store_u16(dst + 82, r.dmin16);
  }
}

void quantize_q3_k(const float *src, uint8_t *dst, int64_t nb) {
  for (int64_t b = 0; b < nb; ++b, src += kQKK, dst += kQ3_KBytes) {
    SymmetricResult r;
    quantize_symmetric(src, -4, 31, r);
    // code c = q2 + 4·hb − 4  →  c + 4 = hb·4 + q2
    uint8_t q2[kQKK];
    uint8_t *hmask = dst;
    std::memset(hmask, 0, 32);
    for (int i = 0; i < kQKK; ++i) {
      const int u = r.codes[i] + 4;
      q2[i] = static_cast<uint8_t>(u & 3);
      hmask[i % 32] = static_cast<uint8_t>(hmask[i % 32] | (u >> 2) << (i / 32));
    }
    pack_2bit(q2, dst + 32);
    uint8_t *sc = dst + 96;
    std::memset(sc, 0, 12);
    for (int k = 0; k < 16; ++k) {
      const int u = r.scales[k] + 32;  // 0…63
      if (k < 8) sc[k] = static_cast<uint8_t>(sc[k] | (u & 15));
      else sc[k - 8] = static_cast<uint8_t>(sc[k - 8] | (u & 15) << 4);
      sc[8 + k % 4] = static_cast<uint8_t>(sc[8 + k % 4] | (u >> 4) << (2 * (k / 4)));
    }
    store_u16(dst + 108, r.d16);
  }
}

void quantize_q4_k(const float *src, uint8_t *dst, int64_t nb) {
  for (int64_t b = 0; b < nb; ++b, src += kQKK, dst += kQ4_KBytes) {
    AffineResult r;
    quantize_affine(src, 32, 15, 63, r);
    store_u16(dst, r.d16);
    store_u16(dst + 2, r.dmin16);
    pack_scale_min_k4(r.scales, r.mins, dst + 4);
    pack_k_nibbles(r.codes, dst + 16);
  }
}

void quantize_q5_k(const float *src, uint8_t *dst, int64_t nb) {
  for (int64_t b = 0; b < nb; ++b, src += kQKK, dst += kQ5_KBytes) {
    AffineResult r;
    quantize_affine(src, 32, 31, 63, r);
    store_u16(dst, r.d16);
    store_u16(dst + 2, r.dmin16);
    pack_scale_min_k4(r.scales, r.mins, dst + 4);
    uint8_t *qh = dst + 16;
    std::memset(qh, 0, 32);
    for (int i = 0; i < kQKK; ++i) qh[i % 32] = static_cast<uint8_t>(qh[i % 32] | (r.codes[i] >> 4) << (i / 32));
    pack_k_nibbles(r.codes, dst + 48);
  }
}

void quantize_q6_k(const float *src, uint8_t *dst, int64_t nb) {
  for (int64_t b = 0; b < nb; ++b, src += kQKK, dst += kQ6_KBytes) {
    SymmetricResult r;
    quantize_symmetric(src, -32, 127, r);
    uint8_t *ql = dst, *qh = dst + 128;
    std::memset(dst, 0, 192);
    for (int i = 0; i < kQKK; ++i) {
      const int q = r.codes[i] + 32;  // 0…63
      const int n = i / 128, k = (i % 128) / 32, l = i % 32;
      uint8_t &low = ql[64 * n + 32 * (k % 2) + l];
      low = static_cast<uint8_t>(low | (q & 15) << (k < 2 ? 0 : 4));
      qh[32 * n + l] = static_cast<uint8_t>(qh[32 * n + l] | (q >> 4) << (2 * k));
    }
    for (int s = 0; s < 16; ++s) dst[192 + s] = static_cast<uint8_t>(static_cast<int8_t>(r.scales[s]));
    store_u16(dst + 208, r.d16);
  }
}

}  // namespace dsv4::quant_detail
