// Packed Q6_K (packed.h). A group of n elements (nb = n/256 blocks) is three planes:
//   codes   [nb][16 sub-blocks][X, Y, Z][16 rows][4 bytes]   3072 bytes per block
//   scales  [nb][16 sub-blocks][16 rows] int8                  256
//   d       [nb][16 rows] fp16                                  32
// then zeros up to a multiple of 64: 3360 bytes per block, exactly the size of 16 Q6_K blocks.
// Sub-block s (elements 16s .. 16s+15) of a row is four words of 6-bit codes q (0..63), word k
// holding elements 16s+4k .. 16s+4k+3, one per byte, so that each word meets the 4 activation
// bytes one vpdpbusd broadcasts. Words 0, 1, 2 sit in the low 6 bits of the bytes of X, Y, Z;
// word 3 is cut into three 2-bit pieces kept in their top bits (q bits 0-1 in X, 2-3 in Y, 4-5
// in Z). Six bits per code, as in Q6_K, yet each of words 0..2 costs the kernel a single AND.
#include <cstring>

#include "backend/cpu/packed_family.h"
#include "format/ggml_type.h"
#include "quant/quant_blocks.h"

namespace dsv4::cpu::family {
namespace {

constexpr int64_t kRows = kPackRows;
constexpr int64_t kCodeBytes = 3072, kScaleBytes = 256, kDBytes = 32;
constexpr int64_t kBlockBytes = quant_detail::kQ6_KBytes;

uint64_t group_bytes(int64_t n) {
  const int64_t nb = n / 256;
  return static_cast<uint64_t>((nb * (kCodeBytes + kScaleBytes + kDBytes) + 63) / 64 * 64);
}

// Where code q of element i (0..255) of a block goes: byte offset inside the block's code plane
// for row r, and which plane; word 3 is spread over the three planes.
int64_t code_at(int64_t i, int64_t r, int plane) { return 192 * (i / 16) + 64 * plane + 4 * r + i % 4; }

// Q6_K element i of a block (ggml-formats.md §2.13): ql byte, nibble shift, qh byte, bit shift.
struct Q6Pos { int ql, ql_shift, qh, qh_shift; };
Q6Pos q6_pos(int i) {
  const int h = i / 128, k = (i % 128) / 32, l = i % 32;
  return {64 * h + 32 * (k % 2) + l, k < 2 ? 0 : 4, 128 + 32 * h + l, 2 * k};
}

void pack(const uint8_t *src, uint64_t row_bytes, int64_t n_rows, int64_t n, uint8_t *dst) {
  const int64_t nb = n / 256;
  std::memset(dst, 0, group_bytes(n));
  uint8_t *scales = dst + nb * kCodeBytes, *ds = scales + nb * kScaleBytes;
  for (int64_t r = 0; r < n_rows; ++r) {
    for (int64_t b = 0; b < nb; ++b) {
      const uint8_t *blk = src + r * row_bytes + b * kBlockBytes;
      uint8_t *codes = dst + b * kCodeBytes;
      for (int i = 0; i < 256; ++i) {
        const Q6Pos p = q6_pos(i);
        const int q = ((blk[p.ql] >> p.ql_shift) & 15) | ((blk[p.qh] >> p.qh_shift) & 3) << 4;
        const int k = (i % 16) / 4;
        if (k < 3) {
          codes[code_at(i, r, k)] |= static_cast<uint8_t>(q);
        } else {
          for (int plane = 0; plane < 3; ++plane)
            codes[code_at(i, r, plane)] |= static_cast<uint8_t>(((q >> (2 * plane)) & 3) << 6);
        }
      }
      for (int s = 0; s < 16; ++s) scales[b * kScaleBytes + s * kRows + r] = blk[192 + s];
      std::memcpy(ds + b * kDBytes + 2 * r, blk + 208, 2);
    }
  }
}

void unpack_row(const uint8_t *group, int64_t n, int64_t r, uint8_t *dst) {
  const int64_t nb = n / 256;
  const uint8_t *scales = group + nb * kCodeBytes, *ds = scales + nb * kScaleBytes;
  for (int64_t b = 0; b < nb; ++b) {
    uint8_t *blk = dst + b * kBlockBytes;
    std::memset(blk, 0, kBlockBytes);
    const uint8_t *codes = group + b * kCodeBytes;
    for (int i = 0; i < 256; ++i) {
      const int k = (i % 16) / 4;
      int q = 0;
      if (k < 3) {
        q = codes[code_at(i, r, k)] & 63;
      } else {
        for (int plane = 0; plane < 3; ++plane) q |= (codes[code_at(i, r, plane)] >> 6) << (2 * plane);
      }
      const Q6Pos p = q6_pos(i);
      blk[p.ql] |= static_cast<uint8_t>((q & 15) << p.ql_shift);
      blk[p.qh] |= static_cast<uint8_t>((q >> 4) << p.qh_shift);
    }
    for (int s = 0; s < 16; ++s) blk[192 + s] = scales[b * kScaleBytes + s * kRows + r];
    std::memcpy(blk + 208, ds + b * kDBytes + 2 * r, 2);
  }
}

}  // namespace

void packed_q6_k(PackedLayout &l) {
  l.group_bytes = group_bytes;
  l.pack = pack;
  l.unpack_row = unpack_row;
}

}  // namespace dsv4::cpu::family
