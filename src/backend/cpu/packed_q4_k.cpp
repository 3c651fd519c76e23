// Packed Q4_K (packed.h). A group of 16 rows is a sequence of 256-element blocks, block b of
// every row together in 2368 = 37·64 bytes (16·144 = 2304 unpacked, +2.8%):
//   [0, 2048)     codes: 32 lines of 64 bytes, line g for elements 8g..8g+7. Lanes (4 bytes)
//                 2k and 2k+1 carry rows 2k and 2k+1: lane 2k+h holds elements 8g+4h..8g+4h+3 of
//                 row 2k+h in the low nibbles and of the other row in the high nibbles. So one
//                 8-byte activation broadcast feeds every lane, and a line costs one AND and two
//                 vpdpbusd (the whole bytes, then the high nibbles alone) for 128 weights. A
//                 32-element sub-block is the 4 lines 4s..4s+3.
//   [2048, 2176)  scales: byte 16s + r = 6-bit scale of sub-block s, row r (zero-extends to lanes)
//   [2176, 2304)  mins: byte 32k + 2r + h = 6-bit min of sub-block 2k+h, row r (zero-extended to
//                 int16 pairs they meet the pairs of per-32 activation sums in one vpdpwssd)
//   [2304, 2336)  d of row r at 2r (fp16, the original bits)
//   [2336, 2368)  dmin of row r at 2r
// Missing rows of a partial group are all zero bytes (d = dmin = 0). The kernel file repeats
// these offsets.
#include <cstring>

#include "backend/cpu/packed_family.h"
#include "quant/quant_blocks.h"

namespace dsv4::cpu::family {
namespace {

using quant_detail::kQ4_KBytes;

constexpr int64_t kBlockBytes = 2368, kScales = 2048, kMins = 2176, kD = 2304, kDmin = 2336;

uint64_t group_bytes(int64_t n) { return static_cast<uint64_t>(n / 256 * kBlockBytes); }

// Byte of the codes area and nibble shift of element i (0..255) of row r.
int64_t code_byte(int i, int64_t r) {
  const int64_t h = i % 8 / 4;
  return 64 * (i / 8) + 4 * ((r & ~int64_t{1}) + h) + i % 4;
}
int code_shift(int i, int64_t r) { return r % 2 == i % 8 / 4 ? 0 : 4; }

// Element i of a Q4_K block: byte 32·(i/64) + i%32 of qs, the high nibble for i%64 ≥ 32.
int q4k_byte(int i) { return 32 * (i / 64) + i % 32; }
int q4k_shift(int i) { return i % 64 < 32 ? 0 : 4; }

void pack(const uint8_t *src, uint64_t row_bytes, int64_t n_rows, int64_t n, uint8_t *dst) {
  std::memset(dst, 0, group_bytes(n));
  for (int64_t b = 0; b < n / 256; ++b) {
    uint8_t *o = dst + b * kBlockBytes;
    for (int64_t r = 0; r < n_rows; ++r) {
      const uint8_t *blk = src + r * row_bytes + b * kQ4_KBytes;
      const uint8_t *qs = blk + 16;
      for (int i = 0; i < 256; ++i) {
        const int q = (qs[q4k_byte(i)] >> q4k_shift(i)) & 15;
        o[code_byte(i, r)] |= static_cast<uint8_t>(q << code_shift(i, r));
      }
      uint8_t sc[8], mn[8];
      quant_detail::unpack_scale_min_k4(blk + 4, sc, mn);
      for (int s = 0; s < 8; ++s) {
        o[kScales + 16 * s + r] = sc[s];
        o[kMins + 32 * (s / 2) + 2 * r + s % 2] = mn[s];
      }
      std::memcpy(o + kD + 2 * r, blk, 2);
      std::memcpy(o + kDmin + 2 * r, blk + 2, 2);
    }
  }
}

void unpack_row(const uint8_t *group, int64_t n, int64_t r, uint8_t *dst) {
  for (int64_t b = 0; b < n / 256; ++b) {
    const uint8_t *o = group + b * kBlockBytes;
    uint8_t *blk = dst + b * kQ4_KBytes;
    std::memcpy(blk, o + kD + 2 * r, 2);
    std::memcpy(blk + 2, o + kDmin + 2 * r, 2);
    uint8_t sc[8], mn[8];
    for (int s = 0; s < 8; ++s) {
      sc[s] = o[kScales + 16 * s + r];
      mn[s] = o[kMins + 32 * (s / 2) + 2 * r + s % 2];
    }
    quant_detail::pack_scale_min_k4(sc, mn, blk + 4);
    uint8_t *qs = blk + 16;
    std::memset(qs, 0, 128);
    for (int i = 0; i < 256; ++i) {
      const int q = (o[code_byte(i, r)] >> code_shift(i, r)) & 15;
      qs[q4k_byte(i)] |= static_cast<uint8_t>(q << q4k_shift(i));
    }
  }
}

}  // namespace

void packed_q4_k(PackedLayout &l) {
  l.group_bytes = group_bytes;
  l.pack = pack;
  l.unpack_row = unpack_row;
}

}  // namespace dsv4::cpu::family
