// Independent per-element reference formulas for the quant tests, transcribed from
// ../shared/spec/ggml-formats.md §2 (one function per type, element index in, value out) without
// using anything from src/quant. The library decodes whole blocks with loops of a different
// shape; agreement of the two is the test.
#pragma once

#include <cmath>
#include <cstdint>
#include <limits>

namespace dsv4::test {

// fp16 → float via ldexp (exact for every finite fp16).
inline float ref_fp16(uint16_t h) {
  const int e = (h >> 10) & 31, m = h & 1023;
  double v;
  if (e == 0) v = std::ldexp(static_cast<double>(m), -24);
  else if (e == 31) v = m ? std::numeric_limits<double>::quiet_NaN() : std::numeric_limits<double>::infinity();
  else v = std::ldexp(static_cast<double>(1024 + m), e - 25);
  return static_cast<float>((h & 0x8000) ? -v : v);
}
inline float ref_fp16_at(const uint8_t *p) { return ref_fp16(static_cast<uint16_t>(p[0] | p[1] << 8)); }

// e4m3fn: bias 7, subnormals m/8·2^-6, S.1111.111 is NaN.
inline double ref_e4m3(uint8_t v) {
  const int e = (v >> 3) & 15, m = v & 7;
  double mag;
  if (e == 15 && m == 7) mag = std::numeric_limits<double>::quiet_NaN();
  else if (e == 0) mag = std::ldexp(m / 8.0, -6);
  else mag = std::ldexp(1.0 + m / 8.0, e - 7);
  return (v & 0x80) ? -mag : mag;
}

inline double ref_e2m1(uint8_t code) {
  static const double kValues[8] = {0, 0.5, 1, 1.5, 2, 3, 4, 6};
  return (code & 8) ? -kValues[code & 7] : kValues[code & 7];
}

inline int lo(uint8_t x) { return x & 0x0F; }
inline int hi(uint8_t x) { return x >> 4; }
inline int bit(uint32_t x, int k) { return (x >> k) & 1; }
inline uint32_t le32(const uint8_t *p) {
  return static_cast<uint32_t>(p[0]) | static_cast<uint32_t>(p[1]) << 8 | static_cast<uint32_t>(p[2]) << 16 |
         static_cast<uint32_t>(p[3]) << 24;
}
inline int q4_nibble(const uint8_t *qs, int i) { return i < 16 ? lo(qs[i]) : hi(qs[i - 16]); }

// §2.2–2.7 (32-element blocks)
inline float ref_q4_0(const uint8_t *b, int i) {
  return static_cast<float>(q4_nibble(b + 2, i) - 8) * ref_fp16_at(b);
}
inline float ref_q4_1(const uint8_t *b, int i) {
  return static_cast<float>(q4_nibble(b + 4, i)) * ref_fp16_at(b) + ref_fp16_at(b + 2);
}
inline float ref_q5_0(const uint8_t *b, int i) {
  const int q = q4_nibble(b + 6, i) | bit(le32(b + 2), i) << 4;
  return static_cast<float>(q - 16) * ref_fp16_at(b);
}
inline float ref_q5_1(const uint8_t *b, int i) {
  const int q = q4_nibble(b + 8, i) | bit(le32(b + 4), i) << 4;
  return static_cast<float>(q) * ref_fp16_at(b) + ref_fp16_at(b + 2);
}
inline float ref_q8_0(const uint8_t *b, int i) {
  return static_cast<float>(static_cast<int8_t>(b[2 + i])) * ref_fp16_at(b);
}
// The spec's formula E2M1(code)·2^(e−127), evaluated exactly in double. (ggml writes code 8 as
// +0 where this gives −0; callers compare with ==, which treats them as equal.)
inline float ref_mxfp4(const uint8_t *b, int i) {
  return static_cast<float>(ref_e2m1(static_cast<uint8_t>(q4_nibble(b + 1, i))) * std::ldexp(1.0, b[0] - 127));
}

// §2.8 Q2_K
inline float ref_q2_k(const uint8_t *b, int i) {
  const int n = i / 128, r = i % 128, j = r / 32, h = (r % 32) / 16, l = i % 16, s = i / 16;
  const int q = (b[16 + 32 * n + 16 * h + l] >> (2 * j)) & 3;
  const float d = ref_fp16_at(b + 80), dmin = ref_fp16_at(b + 82);
  return d * static_cast<float>(lo(b[s])) * static_cast<float>(q) - dmin * static_cast<float>(hi(b[s]));
}

// §2.9 Q3_K
inline int ref_q3_k_scale(const uint8_t *b, int k) {
  const uint8_t *scales = b + 96;
  const int low = k < 8 ? lo(scales[k]) : hi(scales[k - 8]);
  const int high = (scales[8 + (k % 4)] >> (2 * (k / 4))) & 3;
  return (low | high << 4) - 32;
}
inline float ref_q3_k(const uint8_t *b, int i) {
  const int n = i / 128, r = i % 128, j = r / 32, h = (r % 32) / 16, l = i % 16;
  const int q2 = (b[32 + 32 * n + 16 * h + l] >> (2 * j)) & 3;
  const int hb = bit(b[i % 32], i / 32);
  return ref_fp16_at(b + 108) * static_cast<float>(ref_q3_k_scale(b, i / 16)) * static_cast<float>(q2 - (hb ? 0 : 4));
}

// §2.10 (sc = the 12 packed bytes)
inline int ref_k4_scale(const uint8_t *sc, int s) {
  return s < 4 ? (sc[s] & 63) : (lo(sc[s + 4]) | (sc[s - 4] >> 6) << 4);
}
inline int ref_k4_min(const uint8_t *sc, int s) {
  return s < 4 ? (sc[s + 4] & 63) : (hi(sc[s + 4]) | (sc[s] >> 6) << 4);
}

// §2.11 Q4_K, §2.12 Q5_K
inline int ref_q4_k_low(const uint8_t *qs, int i) {
  const int c = i / 64, l = i % 32;
  return (i % 64) < 32 ? lo(qs[32 * c + l]) : hi(qs[32 * c + l]);
}
inline float ref_q4_k(const uint8_t *b, int i) {
  const int s = i / 32;
  const float d = ref_fp16_at(b), dmin = ref_fp16_at(b + 2);
  return (d * static_cast<float>(ref_k4_scale(b + 4, s))) * static_cast<float>(ref_q4_k_low(b + 16, i)) -
         (dmin * static_cast<float>(ref_k4_min(b + 4, s)));
}
inline float ref_q5_k(const uint8_t *b, int i) {
  const int s = i / 32;
  const int q = ref_q4_k_low(b + 48, i) | bit(b[16 + i % 32], i / 32) << 4;
  const float d = ref_fp16_at(b), dmin = ref_fp16_at(b + 2);
  return (d * static_cast<float>(ref_k4_scale(b + 4, s))) * static_cast<float>(q) -
         (dmin * static_cast<float>(ref_k4_min(b + 4, s)));
}

// §2.13 Q6_K
inline float ref_q6_k(const uint8_t *b, int i) {
  const int n = i / 128, r = i % 128, k = r / 32, l = r % 32;
  const uint8_t lbyte = b[64 * n + 32 * (k % 2) + l];
  const int low = k < 2 ? lo(lbyte) : hi(lbyte);
  const int high = (b[128 + 32 * n + l] >> (2 * k)) & 3;
  const int q = low | high << 4;
  const int8_t sc = static_cast<int8_t>(b[192 + i / 16]);
  return ref_fp16_at(b + 208) * static_cast<float>(sc) * static_cast<float>(q - 32);
}

// Equal as values, NaN matching NaN (random scale bytes include fp16 NaN/Inf).
inline bool same_value(float a, float b) { return a == b || (std::isnan(a) && std::isnan(b)); }

}  // namespace dsv4::test
