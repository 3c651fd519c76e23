// Scalar exact-path kernels for every weight type: each stretch of up to 256 elements is
// dequantized with the reference code of src/quant into a stack buffer and multiplied with the
// f32 activations in vec_dot's order (8 interleaved partial sums, then a fixed tree), so the
// results are bit-identical to dequantize_row followed by vec_dot.
#include <algorithm>
#include <cstring>

#include "backend/cpu/kernels_family.h"
#include "format/ggml_type.h"
#include "quant/quant_blocks.h"

namespace dsv4::cpu::family {
namespace {

using DeqFn = void (*)(const uint8_t *src, float *dst, int64_t nb);

struct Format {
  DeqFn deq;       // nullptr: F32, read in place
  int64_t elems;   // per block
  int64_t bytes;   // per block
};

constexpr int64_t kChunk = 256;
constexpr int kTile = 8;  // tokens per pass over a chunk

template <uint32_t T>
constexpr Format format_of() {
  using namespace quant_detail;
  if constexpr (T == GGML_F32) return {nullptr, 1, 4};
  else if constexpr (T == GGML_F16) return {dequantize_f16, 1, 2};
  else if constexpr (T == GGML_BF16) return {dequantize_bf16, 1, 2};
  else if constexpr (T == GGML_Q4_0) return {dequantize_q4_0, kQK, kQ4_0Bytes};
  else if constexpr (T == GGML_Q4_1) return {dequantize_q4_1, kQK, kQ4_1Bytes};
  else if constexpr (T == GGML_Q5_0) return {dequantize_q5_0, kQK, kQ5_0Bytes};
  else if constexpr (T == GGML_Q5_1) return {dequantize_q5_1, kQK, kQ5_1Bytes};
  else if constexpr (T == GGML_Q8_0) return {dequantize_q8_0, kQK, kQ8_0Bytes};
  else if constexpr (T == GGML_MXFP4) return {dequantize_mxfp4, kQK, kMxfp4Bytes};
  else if constexpr (T == GGML_Q2_K) return {dequantize_q2_k, kQKK, kQ2_KBytes};
  else if constexpr (T == GGML_Q3_K) return {dequantize_q3_k, kQKK, kQ3_KBytes};
  else if constexpr (T == GGML_Q4_K) return {dequantize_q4_k, kQKK, kQ4_KBytes};
  else if constexpr (T == GGML_Q5_K) return {dequantize_q5_k, kQKK, kQ5_KBytes};
  else return {dequantize_q6_k, kQKK, kQ6_KBytes};
}

// acc[j] += w[i + j] * x[i + j] for i in steps of 8, the tail (len % 8) into acc[0..].
inline void accumulate(float acc[8], const float *w, const float *x, int64_t len) {
  int64_t i = 0;
  for (; i + 8 <= len; i += 8)
    for (int j = 0; j < 8; ++j) acc[j] += w[i + j] * x[i + j];
  for (int j = 0; i < len; ++i, ++j) acc[j] += w[i] * x[i];
}

inline float tree(const float a[8]) { return ((a[0] + a[4]) + (a[1] + a[5])) + ((a[2] + a[6]) + (a[3] + a[7])); }

template <uint32_t T>
void dot_xn(const void *wrow, const float *const *x, int64_t nt, int64_t n, float *out) {
  constexpr Format f = format_of<T>();
  const auto *w = static_cast<const uint8_t *>(wrow);
  float buf[kChunk];
  for (int64_t t0 = 0; t0 < nt; t0 += kTile) {
    const int64_t tn = std::min<int64_t>(kTile, nt - t0);
    float acc[kTile][8] = {};
    for (int64_t i = 0; i < n; i += kChunk) {
      const int64_t len = std::min(kChunk, n - i);
      const float *wv;
      if constexpr (T == GGML_F32) {  // the only format read in place (f.deq is null)
        wv = reinterpret_cast<const float *>(w) + i;
      } else {
        f.deq(w + i / f.elems * f.bytes, buf, len / f.elems);
        wv = buf;
      }
      for (int64_t t = 0; t < tn; ++t) accumulate(acc[t], wv, x[t0 + t] + i, len);
    }
    for (int64_t t = 0; t < tn; ++t) out[t0 + t] = tree(acc[t]);
  }
}

template <uint32_t T>
float dot(const void *wrow, const float *x, int64_t n) {
  float out;
  dot_xn<T>(wrow, &x, 1, n, &out);
  return out;
}

template <uint32_t T>
void set(Slots &s) {
  s.dot_f32 = dot<T>;
  s.dot_f32_xN = dot_xn<T>;
}

}  // namespace

void scalar_f32(uint32_t type, Slots &s) {
  switch (type) {
    case GGML_F32: set<GGML_F32>(s); break;
    case GGML_F16: set<GGML_F16>(s); break;
    case GGML_BF16: set<GGML_BF16>(s); break;
    case GGML_Q4_0: set<GGML_Q4_0>(s); break;
    case GGML_Q4_1: set<GGML_Q4_1>(s); break;
    case GGML_Q5_0: set<GGML_Q5_0>(s); break;
    case GGML_Q5_1: set<GGML_Q5_1>(s); break;
    case GGML_Q8_0: set<GGML_Q8_0>(s); break;
    case GGML_MXFP4: set<GGML_MXFP4>(s); break;
    case GGML_Q2_K: set<GGML_Q2_K>(s); break;
    case GGML_Q3_K: set<GGML_Q3_K>(s); break;
    case GGML_Q4_K: set<GGML_Q4_K>(s); break;
    case GGML_Q5_K: set<GGML_Q5_K>(s); break;
    case GGML_Q6_K: set<GGML_Q6_K>(s); break;
    default: break;
  }
}

}  // namespace dsv4::cpu::family
