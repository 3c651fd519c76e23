// Packed layouts (packed.h) of the 32-element block types Q4_0, Q8_0 and MXFP4.
//
// A group of 16 rows of n elements (nb = n / 32 blocks) is two streams: all the codes, block after
// block, then all the scales, block after block. Keeping the scales apart keeps every code load
// 64-byte aligned (a block's codes are a multiple of 64 bytes, its 16 scales are not) and the size
// at 16 × the row bytes, plus the padding of the scale stream to 64 bytes:
//
//   codes of block b (kPackRows × code bytes, at b · 16 · code bytes): 64-byte chunks; chunk k
//   holds 4 bytes of each row, row r at bytes 4r .. 4r+3, so one load gives every row 4 bytes and
//   one broadcast activation word serves them all:
//     Q4_0, MXFP4  4 chunks (256 bytes): the row's qs[4k .. 4k+3] as stored (low nibbles =
//                  elements 4k .. 4k+3, high nibbles = elements 16+4k .. 19+4k, the order of the
//                  kQ8_0 activation halves).
//     Q8_0         8 chunks (512 bytes): the codes of elements 4k .. 4k+3 XOR 0x80 (q + 128, an
//                  unsigned byte, as vpdpbusd wants its weight operand).
//   scales of block b (at nb · 16 · code bytes + b · 16 · scale bytes): row r's d (fp16, Q4_0 and
//   Q8_0, 32 bytes per block) or exponent byte e (MXFP4, 16 bytes per block) at index r.
//
// Bytes per group: Q4_0 nb·256 + ⌈nb·32⌉₆₄, Q8_0 nb·512 + ⌈nb·32⌉₆₄, MXFP4 nb·256 + ⌈nb·16⌉₆₄
// (⌈x⌉₆₄: x rounded up to 64, zero padding). Rows past n_rows are packed as all-zero blocks
// (zero scales).
#include <cstring>

#include "backend/cpu/packed_family.h"
#include "format/ggml_type.h"

namespace dsv4::cpu::family {
namespace {

constexpr int kBlock = 32;
constexpr int kMaxBlockBytes = 34;

// A source block is [scale: S bytes][codes: C bytes]; X is XORed into every stored code byte.
template <int S, int C, uint8_t X>
struct Format {
  static constexpr int64_t code_bytes(int64_t nb) { return nb * kPackRows * C; }
  static constexpr int64_t scale_bytes(int64_t nb) { return (nb * kPackRows * S + 63) / 64 * 64; }

  static uint64_t group_bytes(int64_t n) {
    const int64_t nb = n / kBlock;
    return static_cast<uint64_t>(code_bytes(nb) + scale_bytes(nb));
  }
  // Byte j of row r's codes of block b, inside the block's code chunks.
  static int64_t code_pos(int64_t r, int j) { return 64 * (j / 4) + 4 * r + j % 4; }

  static void pack(const uint8_t *src, uint64_t row_bytes, int64_t n_rows, int64_t n, uint8_t *dst) {
    const int64_t nb = n / kBlock;
    uint8_t *scales = dst + code_bytes(nb);
    std::memset(scales, 0, static_cast<size_t>(scale_bytes(nb)));
    const uint8_t zero[kMaxBlockBytes] = {};
    for (int64_t b = 0; b < nb; ++b) {
      uint8_t *codes = dst + b * kPackRows * C;
      for (int64_t r = 0; r < kPackRows; ++r) {
        const uint8_t *blk = r < n_rows ? src + r * row_bytes + b * (S + C) : zero;
        std::memcpy(scales + (b * kPackRows + r) * S, blk, S);
        for (int j = 0; j < C; ++j) codes[code_pos(r, j)] = blk[S + j] ^ X;
      }
    }
  }

  static void unpack_row(const uint8_t *group, int64_t n, int64_t r, uint8_t *dst) {
    const int64_t nb = n / kBlock;
    const uint8_t *scales = group + code_bytes(nb);
    for (int64_t b = 0; b < nb; ++b) {
      const uint8_t *codes = group + b * kPackRows * C;
      uint8_t *blk = dst + b * (S + C);
      std::memcpy(blk, scales + (b * kPackRows + r) * S, S);
      for (int j = 0; j < C; ++j) blk[S + j] = codes[code_pos(r, j)] ^ X;
    }
  }

  static void fill(PackedLayout &l) {
    l.group_bytes = group_bytes;
    l.pack = pack;
    l.unpack_row = unpack_row;
  }
};

}  // namespace

void packed_q32(PackedLayout &l) {
  switch (l.type) {
    case GGML_Q4_0: Format<2, 16, 0x00>::fill(l); break;
    case GGML_Q8_0: Format<2, 32, 0x80>::fill(l); break;
    case GGML_MXFP4: Format<1, 16, 0x00>::fill(l); break;
    default: break;
  }
}

}  // namespace dsv4::cpu::family
