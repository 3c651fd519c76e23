// Dequantization of the 256-element K-quants: Q2_K, Q3_K, Q4_K, Q5_K, Q6_K.
// Layouts and formulas: ggml-formats.md §2.8–§2.13. Every product is formed in ggml's order
// (sub-block scale × super-scale first, then × code, then − min term) so the floats are
// bit-identical to ggml's; the sources are compiled with -ffp-contract=off (sources.cmake) so no
// FMA can merge the multiply and the subtraction.
#include "quant/quant_blocks.h"

namespace dsv4::quant_detail {

void unpack_scale_min_k4(const uint8_t *sc, uint8_t scales[8], uint8_t mins[8]) {
  for (int s = 0; s < 4; ++s) {
    scales[s] = sc[s] & 63;
    mins[s] = sc[s + 4] & 63;
  }
  for (int s = 4; s < 8; ++s) {
    scales[s] = static_cast<uint8_t>((sc[s + 4] & 15) | (sc[s - 4] >> 6) << 4);
    mins[s] = static_cast<uint8_t>((sc[s + 4] >> 4) | (sc[s] >> 6) << 4);
  }
}

void pack_scale_min_k4(const uint8_t scales[8], const uint8_t mins[8], uint8_t *sc) {
  for (int s = 0; s < 4; ++s) {
    sc[s] = static_cast<uint8_t>((scales[s] & 63) | (scales[s + 4] >> 4) << 6);
    sc[s + 4] = static_cast<uint8_t>((mins[s] & 63) | (mins[s + 4] >> 4) << 6);
    sc[s + 8] = static_cast<uint8_t>((scales[s + 4] & 15) | (mins[s + 4] & 15) << 4);
  }
}

// Q2_K and Q3_K share the 2-bit packing: within each 128-element half n, byte qs[32n + k] holds
// elements 128n + k + 32j in bit pair j (j = 0…3).

void dequantize_q2_k(const uint8_t *src, float *dst, int64_t nb) {
  for (int64_t b = 0; b < nb; ++b, src += kQ2_KBytes, dst += kQKK) {
    const uint8_t *scales = src;       // offset 0: 16 × (scale nibble | min nibble << 4)
    const uint8_t *qs = src + 16;      // offset 16
    const float d = load_fp16(src + 80), dmin = load_fp16(src + 82);
    for (int n = 0; n < 2; ++n)
      for (int j = 0; j < 4; ++j)
        for (int h = 0; h < 2; ++h) {
          const int sub = 8 * n + 2 * j + h;  // 16-element sub-block of element 128n + 32j + 16h
          const float dl = d * static_cast<float>(scales[sub] & 15);
          const float ml = dmin * static_cast<float>(scales[sub] >> 4);
          float *y = dst + 128 * n + 32 * j + 16 * h;
          for (int l = 0; l < 16; ++l) {
            const int q = (qs[32 * n + 16 * h + l] >> (2 * j)) & 3;
            y[l] = dl * static_cast<float>(q) - ml;
          }
        }
  }
}

// The sixteen signed 6-bit Q3_K scales (spec §2.9): low 4 bits in the nibbles of bytes 0–7, high
// 2 bits in bit pairs of bytes 8–11, stored with a +32 bias.
static void unpack_q3_k_scales(const uint8_t *sc, int out[16]) {
  for (int k = 0; k < 16; ++k) {
    const int low = k < 8 ? (sc[k] & 15) : (sc[k - 8] >> 4);
    const int high = (sc[8 + k % 4] >> (2 * (k / 4))) & 3;
    out[k] = (low | high << 4) - 32;
  }
}

void dequantize_q3_k(const uint8_t *src, float *dst, int64_t nb) {
  for (int64_t b = 0; b < nb; ++b, src += kQ3_KBytes, dst += kQKK) {
    const uint8_t *hmask = src;     // offset 0: bit (i / 32) of hmask[i % 32] = high bit of element i
    const uint8_t *qs = src + 32;   // offset 32
    int scales[16];
    unpack_q3_k_scales(src + 96, scales);  // offset 96
    const float d = load_fp16(src + 108);
    for (int n = 0; n < 2; ++n)
      for (int j = 0; j < 4; ++j)
        for (int h = 0; h < 2; ++h) {
          const int sub = 8 * n + 2 * j + h;
          const float dl = d * static_cast<float>(scales[sub]);
          const int hbit = 4 * n + j;  // = i / 32 for every element of this group
          float *y = dst + 128 * n + 32 * j + 16 * h;
          for (int l = 0; l < 16; ++l) {
            const int q2 = (qs[32 * n + 16 * h + l] >> (2 * j)) & 3;
            const int high = (hmask[16 * h + l] >> hbit) & 1;
            y[l] = dl * static_cast<float>(q2 - (high ? 0 : 4));
          }
        }
  }
}

// Q4_K and Q5_K: each 64-element chunk c keeps its first 32 elements in the low nibbles of
// qs[32c … 32c+31] and the next 32 in the high nibbles; sub-block s = i / 32 has a 6-bit scale and
// min (§2.10). Q5_K adds bit (i / 32) of qh[i % 32] as bit 4.

void dequantize_q4_k(const uint8_t *src, float *dst, int64_t nb) {
  for (int64_t b = 0; b < nb; ++b, src += kQ4_KBytes, dst += kQKK) {
    const float d = load_fp16(src), dmin = load_fp16(src + 2);  // offsets 0, 2
    uint8_t scales[8], mins[8];
    unpack_scale_min_k4(src + 4, scales, mins);                  // offset 4
    const uint8_t *qs = src + 16;                                // offset 16
    for (int sub = 0; sub < 8; ++sub) {
      const float d1 = d * static_cast<float>(scales[sub]);
      const float m1 = dmin * static_cast<float>(mins[sub]);
      const uint8_t *q = qs + 32 * (sub / 2);
      const int shift = 4 * (sub % 2);
      for (int l = 0; l < 32; ++l) dst[32 * sub + l] = d1 * static_cast<float>((q[l] >> shift) & 15) - m1;
    }
  }
}

void dequantize_q5_k(const uint8_t *src, float *dst, int64_t nb) {
  for (int64_t b = 0; b < nb; ++b, src += kQ5_KBytes, dst += kQKK) {
    const float d = load_fp16(src), dmin = load_fp16(src + 2);  // offsets 0, 2
    uint8_t scales[8], mins[8];
    unpack_scale_min_k4(src + 4, scales, mins);                  // offset 4
    const uint8_t *qh = src + 16;                                // offset 16
    const uint8_t *qs = src + 48;                                // offset 48
    for (int sub = 0; sub < 8; ++sub) {
      const float d1 = d * static_cast<float>(scales[sub]);
      const float m1 = dmin * static_cast<float>(mins[sub]);
      const uint8_t *q = qs + 32 * (sub / 2);
      const int shift = 4 * (sub % 2);
      for (int l = 0; l < 32; ++l) {
        const int code = ((q[l] >> shift) & 15) | ((qh[l] >> sub) & 1) << 4;
        dst[32 * sub + l] = d1 * static_cast<float>(code) - m1;
      }
    }
  }
}

// Q6_K: within each 128-element half n, element 128n + 32k + l takes its low 4 bits from
// ql[64n + 32(k mod 2) + l] (low nibble for k < 2, high for k ≥ 2) and its high 2 bits from bit
// pair k of qh[32n + l]; signed int8 scale per 16 elements.
void dequantize_q6_k(const uint8_t *src, float *dst, int64_t nb) {
  for (int64_t b = 0; b < nb; ++b, src += kQ6_KBytes, dst += kQKK) {
    const uint8_t *ql = src;                // offset 0
    const uint8_t *qh = src + 128;          // offset 128
    const uint8_t *scales = src + 192;      // offset 192, int8
    const float d = load_fp16(src + 208);   // offset 208
    for (int n = 0; n < 2; ++n)
      for (int k = 0; k < 4; ++k)
        for (int l = 0; l < 32; ++l) {
          const int i = 128 * n + 32 * k + l;
          const int low = (ql[64 * n + 32 * (k % 2) + l] >> (k < 2 ? 0 : 4)) & 15;
          const int high = (qh[32 * n + l] >> (2 * k)) & 3;
          const int code = (low | high << 4) - 32;
          const float sc = static_cast<float>(static_cast<int8_t>(scales[i / 16]));
          dst[i] = d * sc * static_cast<float>(code);
        }
  }
}

}  // namespace dsv4::quant_detail
