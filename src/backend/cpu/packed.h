// Weights repacked at load (model parameter `repack`): groups of kPackRows consecutive rows of
// one matrix stored interleaved, so that one 64-byte load holds a few consecutive codes of every
// row of the group and one broadcast activation word feeds all of them (vpdpbusd with a 4-byte
// broadcast). Sub-block scales are stored unpacked, per row, beside the codes: the per-block
// scale decoding that bounds the row-major kernels on a few cores is done once, at load.
//
// A packed group restores its rows exactly (unpack_row: the layout loses nothing). The weights'
// file bytes stay mapped, so every path that is not the packed int8 kernel (the exact f32 path,
// another kernel family, get_rows) reads them and runs the row-major kernels of kernels.h, with
// the bits of the unpacked weights. The packed kernels compute the same integer block sums as the
// scalar int8 kernels of that type and differ only in the order of the f32 combination (results
// do not depend on the thread count).
#pragma once

#include <cstddef>
#include <cstdint>

namespace dsv4::cpu {

// Rows per packed group. A matrix of N rows takes ceil(N / 16) groups; the rows past N in the
// last group are zeros (zero scales) and their outputs are never read.
constexpr int64_t kPackRows = 16;

// Packs rows [0, n_rows) (n_rows ≤ kPackRows) of length n, row r at src + r·row_bytes in the
// type's block format, into one group of group_bytes(n) bytes at dst (64-byte aligned).
using PackGroupFn = void (*)(const uint8_t *src, uint64_t row_bytes, int64_t n_rows, int64_t n, uint8_t *dst);
// Writes row r (0 ≤ r < kPackRows) of a group back in the type's block format (row_bytes bytes).
using UnpackRowFn = void (*)(const uint8_t *group, int64_t n, int64_t r, uint8_t *dst);
// Int8 path: out[t·kPackRows + r] = dot(row r of the group, activation row xq[t]) for t < nt
// (any nt ≥ 1), the activations in act_format_for(type)'s layout (kernels.h).
using PackedGemvFn = void (*)(const uint8_t *group, const void *const *xq, int64_t nt, int64_t n, float *out);

struct PackedLayout {
  uint32_t type = 0;                             // n is a multiple of the type's block size
  uint64_t (*group_bytes)(int64_t n) = nullptr;  // a multiple of 64
  PackGroupFn pack = nullptr;
  UnpackRowFn unpack_row = nullptr;
  PackedGemvFn gemv_avx512 = nullptr;  // AVX-512 VNNI kernel; nullptr when the CPU lacks it
};

// The packed layout of a weight type; nullptr when the type is not repacked.
const PackedLayout *packed_layout(uint32_t type);

}  // namespace dsv4::cpu
