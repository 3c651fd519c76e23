// Scalar int8-path reference for the 32-element block types (ggml-formats.md §4.2): per block an
// exact integer Σ q_w·q_a, then in f32, block after block:
//   Q4_0 Q5_0 Q8_0:  sum += (d_w·d_a)·Σ           MXFP4: sum += (d_a·2^(e−128))·Σ (doubled table)
//   Q4_1 Q5_1:       sum += (d_w·d_a)·Σ + m_w·s_a (Q8_1 activations)
// The SIMD kernels compute the same integers and may combine them in another f32 order.
#include "backend/cpu/act_layout.h"
#include "backend/cpu/kernels_family.h"
#include "format/ggml_type.h"
#include "quant/float_conv.h"
#include "quant/quant_blocks.h"

namespace dsv4::cpu::family {
namespace {

using quant_detail::load_fp16;
using quant_detail::load_u32;

// Weight codes of one block in element order.
inline void codes_q4(const uint8_t *qs, int offset, int c[32]) {
  for (int j = 0; j < 16; ++j) {
    c[j] = (qs[j] & 15) - offset;
    c[j + 16] = (qs[j] >> 4) - offset;
  }
}
inline void codes_q5(const uint8_t *qs, uint32_t qh, int offset, int c[32]) {
  for (int j = 0; j < 16; ++j) {
    c[j] = ((qs[j] & 15) | (((qh >> j) & 1) << 4)) - offset;
    c[j + 16] = ((qs[j] >> 4) | (((qh >> (j + 16)) & 1) << 4)) - offset;
  }
}
// Σ c·a over one block; the activation's halves sit apart (kQ8_0 layout of kernels.h).
inline int idot(const int c[32], const int8_t *qa, int64_t b) {
  const int8_t *lo = qa + act::q8_0_pos(b, 0), *hi = qa + act::q8_0_pos(b, 16);
  int s = 0;
  for (int j = 0; j < 16; ++j) s += c[j] * lo[j] + c[j + 16] * hi[j];
  return s;
}

// 2^(e−128) as ggml builds it (e = 0, 1: subnormals; 255 gives 2^127).
inline float e8m0_half(uint8_t e) {
  const uint32_t bits = e >= 2 ? static_cast<uint32_t>(e - 1) << 23 : (e == 1 ? 0x00400000u : 0x00200000u);
  return bits_to_f32(bits);
}
constexpr int kMxfp4Doubled[16] = {0, 1, 2, 3, 4, 6, 8, 12, 0, -1, -2, -3, -4, -6, -8, -12};

template <uint32_t T>
float dot(const void *wrow, const void *xq, int64_t n) {
  const auto *w = static_cast<const uint8_t *>(wrow);
  const int8_t *qa = act::qs(xq);
  const float *dl = act::dl(xq, n);
  float sum = 0.0f;
  int c[32];
  for (int64_t b = 0; b < n / 32; ++b) {
    const float da = dl[4 * b];
    if constexpr (T == GGML_Q4_0) {
      const uint8_t *blk = w + b * quant_detail::kQ4_0Bytes;
      codes_q4(blk + 2, 8, c);
      sum += (load_fp16(blk) * da) * static_cast<float>(idot(c, qa, b));
    } else if constexpr (T == GGML_Q5_0) {
      const uint8_t *blk = w + b * quant_detail::kQ5_0Bytes;
      codes_q5(blk + 6, load_u32(blk + 2), 16, c);
      sum += (load_fp16(blk) * da) * static_cast<float>(idot(c, qa, b));
    } else if constexpr (T == GGML_Q8_0) {
      const uint8_t *blk = w + b * quant_detail::kQ8_0Bytes;
      for (int j = 0; j < 32; ++j) c[j] = static_cast<int8_t>(blk[2 + j]);
      sum += (load_fp16(blk) * da) * static_cast<float>(idot(c, qa, b));
    } else if constexpr (T == GGML_MXFP4) {
      const uint8_t *blk = w + b * quant_detail::kMxfp4Bytes;
      for (int j = 0; j < 16; ++j) {
        c[j] = kMxfp4Doubled[blk[1 + j] & 15];
        c[j + 16] = kMxfp4Doubled[blk[1 + j] >> 4];
      }
      sum += (da * e8m0_half(blk[0])) * static_cast<float>(idot(c, qa, b));
    } else if constexpr (T == GGML_Q4_1) {
      const uint8_t *blk = w + b * quant_detail::kQ4_1Bytes;
      codes_q4(blk + 4, 0, c);
      sum += (load_fp16(blk) * da) * static_cast<float>(idot(c, qa, b)) + load_fp16(blk + 2) * act::s(xq, n)[b];
    } else {  // Q5_1
      const uint8_t *blk = w + b * quant_detail::kQ5_1Bytes;
      codes_q5(blk + 8, load_u32(blk + 4), 0, c);
      sum += (load_fp16(blk) * da) * static_cast<float>(idot(c, qa, b)) + load_fp16(blk + 2) * act::s(xq, n)[b];
    }
  }
  return sum;
}

template <uint32_t T>
void dot_xn(const void *wrow, const void *const *xq, int64_t nt, int64_t n, float *out) {
  for (int64_t t = 0; t < nt; ++t) out[t] = dot<T>(wrow, xq[t], n);
}

template <uint32_t T>
void set(Slots &s) {
  s.dot_q8 = dot<T>;
  s.dot_q8_xN = dot_xn<T>;
}

}  // namespace

void scalar_q8(uint32_t type, Slots &s) {
  switch (type) {
    case GGML_Q4_0: set<GGML_Q4_0>(s); break;
    case GGML_Q4_1: set<GGML_Q4_1>(s); break;
    case GGML_Q5_0: set<GGML_Q5_0>(s); break;
    case GGML_Q5_1: set<GGML_Q5_1>(s); break;
    case GGML_Q8_0: set<GGML_Q8_0>(s); break;
    case GGML_MXFP4: set<GGML_MXFP4>(s); break;
    default: break;
  }
}

}  // namespace dsv4::cpu::family
