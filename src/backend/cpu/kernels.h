// Per (weight type × ISA) dot-product kernels of the CPU backend, chosen once at run time.
//
// Exact path (the default): dot_f32 fuses dequantization of one weight row with the dot product
// against f32 activations. Each kernel has a fixed summation order (deterministic, independent of
// threads); SIMD kernels differ from the scalar ones only by f32 rounding. dot_f32_xN reads the row
// once for several tokens and gives, for every token, the same bits as dot_f32.
//
// Int8 path (optional, for speed): the activations are first rounded once per matmul, exactly as
// llama.cpp's CPU backend does (ggml-formats.md §4; quantize_row_q8_{0,1,k}_act of quant.h), into
// the format the weight type pairs with, stored in the planar layout of ActFormat below; dot_q8 then
// multiplies integer codes. The scalar kernels are the reference; SIMD ones compute the same
// integer sums and differ only in the order of the f32 combination of the block results.
// F32/F16/BF16 weights keep f32 activations on the int8 path (act == ActFormat::kF32).
#pragma once

#include <cstddef>
#include <cstdint>

#include "backend/cpu/cpu_features.h"

namespace dsv4::cpu {

// Activation formats of the int8 path. The codes and scales are exactly those of quant.h's
// quantize_row_q8_{0,1,k}_act; only the arrangement differs. Layouts for a row of n elements
// (n a multiple of the block), at a 64-byte aligned base; act_bytes() adds zero padding:
//   kQ8_0: with N = n rounded up to 128 (zero blocks appended): int8 qs[N] in groups of four
//          blocks, each group holding elements 0..15 of its four blocks, then elements 16..31
//          (the order of the nibbles in Q4_0/Q5_0/MXFP4 weight blocks); float dl[N/8] (block
//          b's fp16 scale, widened, repeated at dl[4b .. 4b+3])
//   kQ8_1: as kQ8_0, then float s[N/32] (the block's fp16 s, widened)
//   kQ8_K: int8 qs[n]; float d[n/256]; int16 bsums[n/16]
enum class ActFormat : uint8_t { kF32 = 0, kQ8_0 = 1, kQ8_1 = 2, kQ8_K = 3 };

using DotF32Fn = float (*)(const void *wrow, const float *x, int64_t n);
using DotF32xNFn = void (*)(const void *wrow, const float *const *x, int64_t n_tokens, int64_t n, float *out);
using DotQ8Fn = float (*)(const void *wrow, const void *xq, int64_t n);
using DotQ8xNFn = void (*)(const void *wrow, const void *const *xq, int64_t n_tokens, int64_t n, float *out);

struct TypeKernels {
  uint32_t type = 0;
  DotF32Fn dot_f32 = nullptr;
  DotF32xNFn dot_f32_xN = nullptr;
  Isa isa_f32 = Isa::kScalar;  // the family dot_f32 / dot_f32_xN come from
  ActFormat act = ActFormat::kF32;
  DotQ8Fn dot_q8 = nullptr;    // nullptr when act == kF32: the int8 path then runs dot_f32
  DotQ8xNFn dot_q8_xN = nullptr;
  Isa isa_q8 = Isa::kScalar;
};

// The kernels of `type` for family `isa` (kAuto resolves via resolve_isa). A type without a kernel
// in that family falls back to the next lower one (isa_f32 / isa_q8 tell which ran). nullptr for
// a type the CPU backend cannot multiply (I32, the IQ types, ...). isa must be one the CPU runs
// (resolve_isa clamps), else the scalar kernels are returned.
const TypeKernels *type_kernels(uint32_t type, Isa isa);

// Block size (elements) the activation row must be a multiple of: 1, 32 or 256.
int64_t act_block(ActFormat f);
// Bytes of one activation row of n elements in format f (a multiple of 64, padding included).
size_t act_bytes(ActFormat f, int64_t n);
// Rounds one row. dst: act_bytes(f, n) bytes, 64-byte aligned. kF32 copies. isa picks the code
// that does it (clamped to what the CPU runs); every family writes the same bytes.
void quantize_act(ActFormat f, const float *x, void *dst, int64_t n, Isa isa = Isa::kScalar);
const char *act_name(ActFormat f);

// The activation format a weight type pairs with on the int8 path (ggml-formats.md §4.1).
ActFormat act_format_for(uint32_t type);

}  // namespace dsv4::cpu
