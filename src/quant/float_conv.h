// Scalar conversions between float32 and the small float formats stored in model files:
// IEEE binary16 (fp16), bfloat16, FP8 E4M3 (e4m3fn), FP4 E2M1 and the E8M0 scale byte.
// Facts from ../shared/spec/ggml-formats.md §2.1, §2.7 and deepseek-v4.md §3.5, §3.6, §6.3.
//
// Every narrowing conversion here rounds to nearest, ties to even, computed on the float32 bit
// pattern with integer arithmetic only, so the result never depends on the FP environment
// (rounding mode, -ffast-math, FMA contraction).
#pragma once

#include <bit>
#include <cstdint>

namespace dsv4 {

static_assert(std::endian::native == std::endian::little,
              "dsv4 reads little-endian model files by plain loads; big-endian hosts are unsupported");

constexpr float bits_to_f32(uint32_t bits) { return std::bit_cast<float>(bits); }
constexpr uint32_t f32_to_bits(float x) { return std::bit_cast<uint32_t>(x); }

namespace float_conv_detail {

// Round the magnitude of a float32 (bit pattern `abs_bits`, sign cleared, not NaN) to a binary
// format with MBITS mantissa bits and exponent bias BIAS that has subnormals. Returns the target's
// magnitude code (exponent field << MBITS | mantissa); a code past the format's largest finite
// value means overflow, which the caller resolves (Inf for fp16, saturation for e4m3/e2m1).
template <int MBITS, int BIAS>
constexpr uint32_t round_magnitude(uint32_t abs_bits) {
  constexpr int kDrop = 23 - MBITS;                // float32 mantissa bits that are dropped
  constexpr int kMinNormalExp = 1 - BIAS;          // unbiased exponent of the smallest normal
  const int f32_exp_field = static_cast<int>(abs_bits >> 23);
  if (f32_exp_field - 127 >= kMinNormalExp) {
    // Normal in the target: RNE on the dropped bits. A carry out of the mantissa increments the
    // exponent field, which is exactly the right next value (and Inf stays huge -> overflow).
    const uint32_t lsb = (abs_bits >> kDrop) & 1u;
    const uint32_t rounded = (abs_bits + ((1u << (kDrop - 1)) - 1u) + lsb) >> kDrop;
    return rounded - (static_cast<uint32_t>(127 - BIAS) << MBITS);
  }
  // Subnormal (or zero) in the target: count quanta of 2^(kMinNormalExp - MBITS).
  // value = significand * 2^(exp - 23); quanta = significand >> shift (with RNE).
  const uint32_t significand = f32_exp_field ? ((abs_bits & 0x7fffffu) | 0x800000u) : (abs_bits & 0x7fffffu);
  const int exp = f32_exp_field ? f32_exp_field - 127 : -126;
  const int shift = 23 - MBITS - exp + kMinNormalExp;  // >= 24 - MBITS - ... always > 0 here
  if (shift > 25) return 0;                            // below half the smallest quantum
  const uint32_t q = significand >> shift;
  const uint32_t rem = significand & ((1u << shift) - 1u);
  const uint32_t half = 1u << (shift - 1);
  // q == 1 << MBITS (rounded up into the smallest normal) is the correct code too.
  return (rem > half || (rem == half && (q & 1u))) ? q + 1u : q;
}

}  // namespace float_conv_detail

// ---- IEEE binary16 ----------------------------------------------------------------------------

// Exact widening: subnormals, ±Inf and NaN (payload kept) preserved.
inline float fp16_to_f32(uint16_t h) {
  const uint32_t sign = static_cast<uint32_t>(h & 0x8000u) << 16;
  const uint32_t exp = (h >> 10) & 0x1fu;
  const uint32_t mant = h & 0x3ffu;
  if (exp == 0) {
    // mant * 2^-24: both factors exact, the product is exact in float32.
    const float mag = static_cast<float>(mant) * bits_to_f32(0x33800000u);  // 2^-24
    return bits_to_f32(sign | f32_to_bits(mag));
  }
  if (exp == 31) return bits_to_f32(sign | 0x7f800000u | (mant << 13));
  return bits_to_f32(sign | ((exp + 112u) << 23) | (mant << 13));
}

// Round to nearest even; overflow gives ±Inf, NaN stays NaN (quiet bit forced).
inline uint16_t f32_to_fp16(float x) {
  const uint32_t bits = f32_to_bits(x);
  const uint16_t sign = static_cast<uint16_t>((bits >> 16) & 0x8000u);
  const uint32_t abs_bits = bits & 0x7fffffffu;
  if (abs_bits > 0x7f800000u) return static_cast<uint16_t>(sign | 0x7e00u | ((abs_bits >> 13) & 0x3ffu));
  uint32_t code = float_conv_detail::round_magnitude<10, 15>(abs_bits);
  if (code > 0x7c00u) code = 0x7c00u;
  return static_cast<uint16_t>(sign | code);
}

// ---- bfloat16 -----------------------------------------------------------------------------------

inline float bf16_to_f32(uint16_t b) { return bits_to_f32(static_cast<uint32_t>(b) << 16); }

// Round to nearest even on the dropped 16 bits (overflow rounds to ±Inf as in IEEE); NaN is kept
// quiet by forcing bit 6 of the result, as ggml does (spec §2.1).
inline uint16_t f32_to_bf16(float x) {
  const uint32_t bits = f32_to_bits(x);
  if ((bits & 0x7fffffffu) > 0x7f800000u) return static_cast<uint16_t>((bits >> 16) | 0x40u);
  return static_cast<uint16_t>((bits + 0x7fffu + ((bits >> 16) & 1u)) >> 16);
}

// ---- FP8 E4M3 (e4m3fn: bias 7, no Inf, 0x7f/0xff are NaN, max ±448) -----------------------------

inline float e4m3_to_f32(uint8_t v) {
  const uint32_t sign = static_cast<uint32_t>(v & 0x80u) << 24;
  const uint32_t exp = (v >> 3) & 0xfu;
  const uint32_t mant = v & 0x7u;
  if (exp == 15 && mant == 7) return bits_to_f32(sign | 0x7fc00000u);
  if (exp == 0) {
    const float mag = static_cast<float>(mant) * 0.001953125f;  // mant * 2^-9, exact
    return bits_to_f32(sign | f32_to_bits(mag));
  }
  return bits_to_f32(sign | ((exp + 120u) << 23) | (mant << 20));
}

// Round to nearest even, saturating: finite values and ±Inf beyond ±448 become ±448 (0x7e/0xfe);
// NaN becomes 0x7f with the input's sign. (DeepSeek clamps to ±448 before its cast, §3.5, so
// saturation never changes a reference result.)
inline uint8_t f32_to_e4m3(float x) {
  const uint32_t bits = f32_to_bits(x);
  const uint8_t sign = static_cast<uint8_t>((bits >> 24) & 0x80u);
  const uint32_t abs_bits = bits & 0x7fffffffu;
  if (abs_bits > 0x7f800000u) return static_cast<uint8_t>(sign | 0x7fu);
  uint32_t code = float_conv_detail::round_magnitude<3, 7>(abs_bits);
  if (code > 0x7eu) code = 0x7eu;
  return static_cast<uint8_t>(sign | code);
}

// ---- FP4 E2M1 (bit 3 sign, bits 2-1 exponent (bias 1), bit 0 mantissa; max ±6) ---------------

// code & 15 -> {0, .5, 1, 1.5, 2, 3, 4, 6, -0, -.5, -1, -1.5, -2, -3, -4, -6}
inline float e2m1_to_f32(uint8_t code) {
  constexpr float kMagnitude[8] = {0.0f, 0.5f, 1.0f, 1.5f, 2.0f, 3.0f, 4.0f, 6.0f};
  const float mag = kMagnitude[code & 7u];
  return (code & 8u) ? -mag : mag;
}

// Round to nearest, ties to the even code, saturating at ±6. The sign is kept, so small negative
// values give code 8 (-0). E2M1 has no NaN: NaN gives code 0.
inline uint8_t f32_to_e2m1(float x) {
  const uint32_t bits = f32_to_bits(x);
  const uint8_t sign = static_cast<uint8_t>((bits >> 28) & 0x8u);
  const uint32_t abs_bits = bits & 0x7fffffffu;
  if (abs_bits > 0x7f800000u) return 0;
  uint32_t code = float_conv_detail::round_magnitude<1, 1>(abs_bits);
  if (code > 7u) code = 7u;
  return static_cast<uint8_t>(sign | code);
}

// ---- E8M0 scale byte: 2^(b - 127) ---------------------------------------------------------------

// b = 0 gives 2^-127 (a float32 subnormal); b = 255 is NaN in the OCP E8M0 definition used by
// DeepSeek's float8_e8m0fnu scales. (ggml's MXFP4 path never calls this: it treats 255 as 2^128,
// see dequantize_row_mxfp4.)
inline float e8m0_to_f32(uint8_t b) {
  if (b == 255) return bits_to_f32(0x7fc00000u);
  if (b == 0) return bits_to_f32(0x00400000u);
  return bits_to_f32(static_cast<uint32_t>(b) << 23);
}

// ---- Power-of-two ("UE8M0") scale rounding of DeepSeek's kernels (deepseek-v4.md §3.5) --------

// ceil(log2(v)) for v > 0 computed the way the reference kernel does on the float32 bits:
// exponent field − 127, plus 1 if any mantissa bit is set. (For a float32 subnormal v this gives
// −126, like the kernel.)
inline int ceil_log2_bits(float v) {
  const uint32_t bits = f32_to_bits(v);
  const int exp_field = static_cast<int>((bits >> 23) & 0xffu);
  return exp_field - 127 + ((bits & 0x7fffffu) != 0 ? 1 : 0);
}

// 2^k as float32 for −149 <= k <= 127 (exact; subnormal below −126).
constexpr float pow2_f32(int k) {
  if (k >= -126) return bits_to_f32(static_cast<uint32_t>(k + 127) << 23);
  return bits_to_f32(1u << (k + 149));
}

}  // namespace dsv4
