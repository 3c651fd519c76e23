#include "backend/kv_format.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <vector>

#include "common/error.h"
#include "quant/float_conv.h"
#include "quant/quant.h"

namespace dsv4 {
namespace {

int64_t fp8_blocks(int64_t n_quant) { return (n_quant + kKvFp8Block - 1) / kKvFp8Block; }

float block_amax(const float *x, int64_t n) {
  float m = 0.0f;
  for (int64_t i = 0; i < n; ++i) m = std::max(m, std::fabs(x[i]));
  return m;
}

}  // namespace

uint64_t kv_row_bytes(KvFormat f, int64_t dim, int64_t n_quant) {
  switch (f) {
    case KvFormat::kF32: return static_cast<uint64_t>(dim) * 4;
    case KvFormat::kBF16: return static_cast<uint64_t>(dim) * 2;
    case KvFormat::kFP8:
      return static_cast<uint64_t>(n_quant + fp8_blocks(n_quant) + 2 * (dim - n_quant));
    case KvFormat::kFP4: return static_cast<uint64_t>(dim / 2 + dim / 32);
  }
  fail(DSV4_ERR_INTERNAL, "unknown KV row format");
}

void kv_encode_row(KvFormat f, int64_t dim, int64_t n_quant, const float *src, uint8_t *dst) {
  switch (f) {
    case KvFormat::kF32: std::memcpy(dst, src, static_cast<size_t>(dim) * 4); return;
    case KvFormat::kBF16:
      for (int64_t i = 0; i < dim; ++i) {
        const uint16_t b = f32_to_bf16(src[i]);
        std::memcpy(dst + 2 * i, &b, 2);
      }
      return;
    case KvFormat::kFP8: {
      // [e4m3 × n_quant][scale byte per block][bf16 × (dim − n_quant)]
      uint8_t *codes = dst, *scales = dst + n_quant, *tail = scales + fp8_blocks(n_quant);
      for (int64_t b = 0, blk = 0; b < n_quant; b += kKvFp8Block, ++blk) {
        const int64_t len = std::min(kKvFp8Block, n_quant - b);
        const int k = ue8m0_scale_exponent(block_amax(src + b, len), 1e-4f, 1.0f / 448.0f);
        scales[blk] = static_cast<uint8_t>(k + 127);  // k >= -22 for the 1e-4 floor
        const float s = pow2_f32(k);
        for (int64_t j = b; j < b + len; ++j) codes[j] = f32_to_e4m3(std::clamp(src[j] / s, -448.0f, 448.0f));
      }
      for (int64_t i = n_quant; i < dim; ++i) {
        const uint16_t v = f32_to_bf16(src[i]);
        std::memcpy(tail + 2 * (i - n_quant), &v, 2);
      }
      return;
    }
    case KvFormat::kFP4: {
      // [e2m1 pairs × dim/2][scale byte per 32]
      uint8_t *scales = dst + dim / 2;
      for (int64_t b = 0; b < dim; b += 32) {
        const int k = ue8m0_scale_exponent(block_amax(src + b, 32), 6.0f * pow2_f32(-126), 1.0f / 6.0f);
        scales[b / 32] = static_cast<uint8_t>(k + 127);  // k >= -126 for the floor
        const float s = pow2_f32(k);
        for (int64_t j = b; j < b + 32; j += 2) {
          const uint8_t lo = f32_to_e2m1(std::clamp(src[j] / s, -6.0f, 6.0f));
          const uint8_t hi = f32_to_e2m1(std::clamp(src[j + 1] / s, -6.0f, 6.0f));
          dst[j / 2] = static_cast<uint8_t>(lo | hi << 4);
        }
      }
      return;
    }
  }
  fail(DSV4_ERR_INTERNAL, "unknown KV row format");
}

void kv_decode_row(KvFormat f, int64_t dim, int64_t n_quant, const uint8_t *src, float *dst) {
  switch (f) {
    case KvFormat::kF32: std::memcpy(dst, src, static_cast<size_t>(dim) * 4); return;
    case KvFormat::kBF16:
      for (int64_t i = 0; i < dim; ++i) {
        uint16_t b;
        std::memcpy(&b, src + 2 * i, 2);
        dst[i] = bf16_to_f32(b);
      }
      return;
    case KvFormat::kFP8: {
      const uint8_t *codes = src, *scales = src + n_quant, *tail = scales + fp8_blocks(n_quant);
      for (int64_t j = 0; j < n_quant; ++j)
        dst[j] = e4m3_to_f32(codes[j]) * pow2_f32(static_cast<int>(scales[j / kKvFp8Block]) - 127);
      for (int64_t i = n_quant; i < dim; ++i) {
        uint16_t v;
        std::memcpy(&v, tail + 2 * (i - n_quant), 2);
        dst[i] = bf16_to_f32(v);
      }
      return;
    }
    case KvFormat::kFP4: {
      const uint8_t *scales = src + dim / 2;
      for (int64_t j = 0; j < dim; j += 2) {
        const float s = pow2_f32(static_cast<int>(scales[j / 32]) - 127);
        dst[j] = e2m1_to_f32(src[j / 2] & 15u) * s;
        dst[j + 1] = e2m1_to_f32(src[j / 2] >> 4) * s;
      }
      return;
    }
  }
  fail(DSV4_ERR_INTERNAL, "unknown KV row format");
}

const float *kv_table_row(const KvTable &t, int64_t i, float *buf) {
  int s = 0;
  while (s < 2 && i >= t.seg[s].n_rows) i -= t.seg[s++].n_rows;
  const uint8_t *row = t.seg[s].data + static_cast<uint64_t>(i) * t.row_bytes;
  if (t.format == KvFormat::kF32) return reinterpret_cast<const float *>(row);
  kv_decode_row(t.format, t.dim, t.n_quant, row, buf);
  return buf;
}

void kv_round_trip(KvFormat f, int64_t dim, int64_t n_quant, float *x) {
  if (f == KvFormat::kF32) return;
  thread_local std::vector<uint8_t> buf;
  buf.resize(kv_row_bytes(f, dim, n_quant));
  kv_encode_row(f, dim, n_quant, x, buf.data());
  kv_decode_row(f, dim, n_quant, buf.data(), x);
}

void kv_fake_quant_fp8(float *x, int64_t n_quant) {
  for (int64_t b = 0; b < n_quant; b += kKvFp8Block) {
    const int64_t len = std::min(kKvFp8Block, n_quant - b);
    fake_quant_fp8_row(x + b, x + b, len, len);
  }
}

}  // namespace dsv4
