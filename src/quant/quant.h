// Scalar reference (de)quantization of every weight type the runtime computes with, activation
// quantization as llama.cpp's CPU backend does it, and DeepSeek's own FP8/FP4 formats.
// Every SIMD / GPU kernel is tested against these functions; they favour clarity over speed.
//
// Specs: ../shared/spec/ggml-formats.md §2 (block layouts), §4 (activation quantization);
// deepseek-v4.md §3.5–3.7 (fake quantisation), §6.3 (checkpoint formats).
// Conversions of single values (fp16, bf16, e4m3, e2m1, e8m0) are in float_conv.h.
//
// Conventions: `n` counts elements and must be a non-negative multiple of the type's block size
// (ggml-formats.md §1), otherwise DSV4_ERR_INVALID_ARGUMENT; a type outside the lists below is
// DSV4_ERR_UNSUPPORTED. Source rows need no alignment (blocks of 17, 22 or 34 bytes follow each
// other unaligned in files). Nothing here allocates.
#pragma once

#include <cstdint>

namespace dsv4 {

// ---- Weight rows (ggml types, ids of src/format/ggml_type.h) -----------------------------------

// Dequantize one row of n elements. Types: F32 F16 BF16 Q4_0 Q4_1 Q5_0 Q5_1 Q8_0 Q2_K Q3_K Q4_K
// Q5_K Q6_K MXFP4. Products are formed in ggml's order, so the values are bit-identical to
// ggml's dequantize_row_* (spec §2). (The products of an fp16 scale with the small integer
// sub-scales and codes need at most 24 significant bits, so they are exact in float32 anyway;
// only the "+ m" / "− dmin·M" step of Q4_1, Q5_1, Q2_K, Q4_K, Q5_K rounds.)
void dequantize_row(uint32_t ggml_type, const void *src, float *dst, int64_t n);

// Quantize one row of n elements (for writing models; deterministic, not ggml's search-based
// quantizers, so the bytes differ from llama-quantize's). Same types as dequantize_row. Per
// block: scales chosen from the block's range and stored as fp16 rounded *up* (so the extreme
// value never clips), then round-to-nearest-even codes computed with the stored scales; see each
// .cpp for the recipe and its error bound. Q8_0: d = amax/127, q = round(x/d), |error| ≤ d/2.
// MXFP4 uses DeepSeek's recipe (scale 2^ceil(log2(amax/6)), E2M1 round-to-nearest-even).
void quantize_row(uint32_t ggml_type, const float *src, void *dst, int64_t n);

// Σ_i w[i]·x[i] with the weight row dequantized exactly and f32 activations (the "exact path",
// which reproduces *.ref.logits.f32). Summation order, which kernels may compare against: one
// float32 accumulator, starting at +0, adding the float32 product w[i]·x[i] for i = 0, 1, …, n−1
// in sequence (no FMA, no partial sums). Same types as dequantize_row.
float vec_dot_f32(uint32_t ggml_type, const void *row, const float *x, int64_t n);

// ---- Activation blocks of llama.cpp's CPU backend (ggml-formats.md §4) -------------------------
// Byte-compatible with ggml's block_q8_0 / block_q8_1 / block_q8_K on a little-endian host.

struct BlockQ8_0 {
  uint16_t d;      // fp16 scale
  int8_t qs[32];
};
struct BlockQ8_1 {
  uint16_t d;      // fp16 scale
  uint16_t s;      // fp16(d · Σ qs), d before fp16 rounding
  int8_t qs[32];
};
struct BlockQ8_K {
  float d;          // float32 scale; negative when the block's largest-magnitude value is positive
  int8_t qs[256];
  int16_t bsums[16];  // Σ qs over each 16 elements
};
static_assert(sizeof(BlockQ8_0) == 34 && sizeof(BlockQ8_1) == 36 && sizeof(BlockQ8_K) == 292);

// The two Q8_0/Q8_1 recipes of §4.2 differ in the inverse scale and in how ties round.
enum class Q8ActRecipe : uint8_t {
  kX86Avx,     // id = 127/amax, ties to even: what produced the test logits (x86-64 AVX2 build)
  kReference,  // id = 1/d with d = amax/127, roundf (ties away from zero): ggml's plain C code
};

// n must be a multiple of 32 (Q8_0, Q8_1) or 256 (Q8_K); dst holds n/32 or n/256 blocks.
void quantize_row_q8_0_act(const float *x, BlockQ8_0 *dst, int64_t n, Q8ActRecipe recipe = Q8ActRecipe::kX86Avx);
void quantize_row_q8_1_act(const float *x, BlockQ8_1 *dst, int64_t n, Q8ActRecipe recipe = Q8ActRecipe::kX86Avx);
void quantize_row_q8_k_act(const float *x, BlockQ8_K *dst, int64_t n);

// ---- DeepSeek checkpoint formats (deepseek-v4.md §6.3) -----------------------------------------

// Row `row` of an FP8 E4M3 weight matrix w[rows][cols] (row-major, one byte per element) with one
// scale per 128×128 block, scale grid [ceil(rows/128)][ceil(cols/128)] row-major:
// dst[c] = e4m3(w[row][c]) · scale[row/128][c/128]. Scales as float32 …
void dequantize_fp8_block_scaled(const uint8_t *w, const float *scales, int64_t rows, int64_t cols, int64_t row,
                                 float *dst);
// … or as E8M0 bytes (2^(b−127); b = 255 is NaN), as in V4 checkpoints.
void dequantize_fp8_block_scaled_e8m0(const uint8_t *w, const uint8_t *scales, int64_t rows, int64_t cols,
                                      int64_t row, float *dst);

// One row of an official FP4 expert weight: n elements (multiple of 32) packed two per byte,
// element 2k in the low nibble of byte k and 2k+1 in the high nibble, E2M1 codes; one E8M0 scale
// per 32 consecutive elements. dst[i] = e2m1(code_i) · 2^(scale[i/32] − 127).
void dequantize_fp4_e8m0_row(const uint8_t *packed, const uint8_t *scales, int64_t n, float *dst);

// ---- Fake quantisation (deepseek-v4.md §3.5, §3.6) ---------------------------------------------
// dst may equal src. n must be a multiple of the block size. Results are exact in float32 and
// representable in bf16 (apart from values below bf16's normal range, which are the same in both),
// so a caller holding bf16 activations can round the output to bf16 without change.

// Per block of `block_size` elements (64 for the KV caches, 128 for GEMM activations, §3.7):
// s = 2^ceil(log2(max(amax, 1e-4)/448)) (bit recipe of §3.5), x' = e4m3(clamp(x/s, ±448)) · s.
void fake_quant_fp8_row(const float *src, float *dst, int64_t n, int64_t block_size);

// Per block of 32: s = 2^ceil(log2(max(amax, 6·2^-126)/6)), x' = e2m1(clamp(x/s, ±6)) · s.
void fake_quant_fp4_row(const float *src, float *dst, int64_t n);

// The power-of-two scale exponent k (s = 2^k) that both fake-quant functions and the MXFP4
// quantizer use for a block whose largest magnitude is `amax`: the bit recipe of §3.5 applied to
// max(amax, amax_floor) · (1/fmt_max) in float32.
int ue8m0_scale_exponent(float amax, float amax_floor, float inv_fmt_max);

}  // namespace dsv4
