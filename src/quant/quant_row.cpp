// Row-level dispatch of quant.h: type id → per-type block functions, argument checks, and the
// f32 reference dot product.
#include <cstring>
#include <string>

#include "common/error.h"
#include "format/ggml_type.h"
#include "quant/quant.h"
#include "quant/quant_blocks.h"

namespace dsv4 {
namespace {

using DequantizeFn = void (*)(const uint8_t *, float *, int64_t);
using QuantizeFn = void (*)(const float *, uint8_t *, int64_t);

void dequantize_f32(const uint8_t *src, float *dst, int64_t nb) { std::memcpy(dst, src, sizeof(float) * nb); }
void quantize_f32(const float *src, uint8_t *dst, int64_t nb) { std::memcpy(dst, src, sizeof(float) * nb); }

struct RowCodec {
  uint32_t type;
  DequantizeFn dequantize;
  QuantizeFn quantize;
};

constexpr RowCodec kCodecs[] = {
    {GGML_F32, dequantize_f32, quantize_f32},
    {GGML_F16, quant_detail::dequantize_f16, quant_detail::quantize_f16},
    {GGML_BF16, quant_detail::dequantize_bf16, quant_detail::quantize_bf16},
    {GGML_Q4_0, quant_detail::dequantize_q4_0, quant_detail::quantize_q4_0},
    {GGML_Q4_1, quant_detail::dequantize_q4_1, quant_detail::quantize_q4_1},
    {GGML_Q5_0, quant_detail::dequantize_q5_0, quant_detail::quantize_q5_0},
    {GGML_Q5_1, quant_detail::dequantize_q5_1, quant_detail::quantize_q5_1},
    {GGML_Q8_0, quant_detail::dequantize_q8_0, quant_detail::quantize_q8_0},
    {GGML_Q2_K, quant_detail::dequantize_q2_k, quant_detail::quantize_q2_k},
    {GGML_Q3_K, quant_detail::dequantize_q3_k, quant_detail::quantize_q3_k},
    {GGML_Q4_K, quant_detail::dequantize_q4_k, quant_detail::quantize_q4_k},
    {GGML_Q5_K, quant_detail::dequantize_q5_k, quant_detail::quantize_q5_k},
    {GGML_Q6_K, quant_detail::dequantize_q6_k, quant_detail::quantize_q6_k},
    {GGML_MXFP4, quant_detail::dequantize_mxfp4, quant_detail::quantize_mxfp4},
};

std::string type_name(uint32_t type) {
  const TypeInfo *info = type_info(type);
  return info ? std::string(info->name) : "type id " + std::to_string(type);
}

// The codec for `type` and the number of blocks in a row of n elements; throws on an
// unsupported type or a length that is not a whole number of blocks.
const RowCodec &codec_for(const char *what, uint32_t type, int64_t n, int64_t *n_blocks) {
  const RowCodec *codec = nullptr;
  for (const RowCodec &c : kCodecs)
    if (c.type == type) codec = &c;
  if (!codec) fail(DSV4_ERR_UNSUPPORTED, std::string(what) + ": no reference implementation for " + type_name(type));
  const int64_t block = type_info(type)->block_size;
  if (n < 0 || n % block != 0)
    fail(DSV4_ERR_INVALID_ARGUMENT, std::string(what) + ": row length " + std::to_string(n) + " is not a multiple of " +
                                        type_name(type) + "'s block size " + std::to_string(block));
  *n_blocks = n / block;
  return *codec;
}

}  // namespace

void dequantize_row(uint32_t ggml_type, const void *src, float *dst, int64_t n) {
  int64_t nb = 0;
  const RowCodec &codec = codec_for("dequantize_row", ggml_type, n, &nb);
  codec.dequantize(static_cast<const uint8_t *>(src), dst, nb);
}

void quantize_row(uint32_t ggml_type, const float *src, void *dst, int64_t n) {
  int64_t nb = 0;
  const RowCodec &codec = codec_for("quantize_row", ggml_type, n, &nb);
  codec.quantize(src, static_cast<uint8_t *>(dst), nb);
}

float vec_dot_f32(uint32_t ggml_type, const void *row, const float *x, int64_t n) {
  int64_t nb = 0;
  const RowCodec &codec = codec_for("vec_dot_f32", ggml_type, n, &nb);
  const TypeInfo &info = *type_info(ggml_type);
  // Dequantize a chunk of whole blocks (256 elements, or fewer at the end) into a stack buffer,
  // then accumulate sequentially: the buffering does not change the summation order.
  constexpr int64_t kChunk = 256;
  const int64_t blocks_per_chunk = kChunk / info.block_size;  // every block size here divides 256
  const uint8_t *src = static_cast<const uint8_t *>(row);
  float w[kChunk];
  float sum = 0.0f;
  for (int64_t b = 0; b < nb; b += blocks_per_chunk) {
    const int64_t blocks = nb - b < blocks_per_chunk ? nb - b : blocks_per_chunk;
    codec.dequantize(src + b * info.type_size, w, blocks);
    const int64_t count = blocks * info.block_size;
    const float *xs = x + b * info.block_size;
    for (int64_t i = 0; i < count; ++i) sum += w[i] * xs[i];
  }
  return sum;
}

}  // namespace dsv4
