// Random weight rows and activations for the kernel tests (test_cpu_kernels, test_packed).
#pragma once

#include <cmath>
#include <cstdint>
#include <cstring>
#include <random>
#include <vector>

#include "backend/cpu/cpu_features.h"
#include "backend/cpu/kernels.h"
#include "format/ggml_type.h"
#include "quant/float_conv.h"
#include "quant/quant.h"

namespace dsv4::test::kernel_util {

using cpu::ActFormat;

inline const char *tname(uint32_t t) { return type_info(t)->name; }

inline std::vector<Isa> isas_here() {
  std::vector<Isa> v;
  for (Isa i : {Isa::kScalar, Isa::kAvx2, Isa::kAvx512})
    if (cpu_features().has(i)) v.push_back(i);
  return v;
}

inline uint64_t type_row_bytes(uint32_t t, int64_t n) { return row_bytes(*type_info(t), static_cast<uint64_t>(n)); }

inline float rnd_normal(std::mt19937 &g) { return std::normal_distribution<float>(0.0f, 1.0f)(g); }

// Activations: normal values with a per-32 block scale spread over 2^-6 .. 2^6.
inline std::vector<float> random_x(std::mt19937 &g, int64_t n) {
  std::vector<float> x(static_cast<size_t>(n));
  float s = 1.0f;
  for (int64_t i = 0; i < n; ++i) {
    if (i % 32 == 0) s = std::ldexp(1.0f, std::uniform_int_distribution<int>(-6, 6)(g));
    x[i] = rnd_normal(g) * s;
  }
  return x;
}

inline void put_fp16(uint8_t *p, float v) {
  const uint16_t h = f32_to_fp16(v);
  std::memcpy(p, &h, 2);
}

// A random weight row: either quantize_row of random floats, or random bytes (every code pattern)
// with finite, moderate scale fields.
inline std::vector<uint8_t> random_row(std::mt19937 &g, uint32_t t, int64_t n, bool raw) {
  const uint64_t rb = type_row_bytes(t, n);
  std::vector<uint8_t> row(rb);
  if (t == GGML_F32 || t == GGML_F16 || t == GGML_BF16 || !raw) {
    std::vector<float> src = random_x(g, n);
    quantize_row(t, src.data(), row.data(), n);
    return row;
  }
  for (auto &b : row) b = static_cast<uint8_t>(g());
  const TypeInfo &ti = *type_info(t);
  std::uniform_real_distribution<float> scale(0.001f, 0.1f);
  auto sc = [&] { return (g() & 1 ? -1.0f : 1.0f) * scale(g); };
  for (uint64_t b = 0; b < rb / ti.type_size; ++b) {
    uint8_t *p = row.data() + b * ti.type_size;
    switch (t) {
      case GGML_Q4_0: case GGML_Q5_0: case GGML_Q8_0: put_fp16(p, sc()); break;
      case GGML_Q4_1: case GGML_Q5_1: put_fp16(p, sc()); put_fp16(p + 2, sc()); break;
      case GGML_MXFP4: p[0] = static_cast<uint8_t>(std::uniform_int_distribution<int>(115, 135)(g)); break;
      case GGML_Q2_K: put_fp16(p + 80, sc()); put_fp16(p + 82, sc()); break;
      case GGML_Q3_K: put_fp16(p + 108, sc()); break;
      case GGML_Q4_K: case GGML_Q5_K: put_fp16(p, sc()); put_fp16(p + 2, sc()); break;
      case GGML_Q6_K: put_fp16(p + 208, sc()); break;
      default: break;
    }
  }
  return row;
}

inline std::vector<float> dequant(uint32_t t, const std::vector<uint8_t> &row, int64_t n) {
  std::vector<float> w(static_cast<size_t>(n));
  dequantize_row(t, row.data(), w.data(), n);
  return w;
}

// kQ8_0/kQ8_1 layout (kernels.h): rows padded to 128 elements, groups of four blocks holding
// the blocks' first halves, then their second halves; scales repeated four times.
inline int64_t padded128(int64_t n) { return (n + 127) / 128 * 128; }
inline int64_t q8_0_pos(int64_t i) {
  const int64_t b = i / 32, e = i % 32;
  return 128 * (b / 4) + (e < 16 ? 16 * (b % 4) + e : 64 + 16 * (b % 4) + e - 16);
}

// The activation values the int8 path multiplies with (codes × block scale), in element order.
inline std::vector<float> act_values(ActFormat f, const uint8_t *xq, int64_t n) {
  std::vector<float> a(static_cast<size_t>(n));
  const auto *qs = reinterpret_cast<const int8_t *>(xq);
  if (f == ActFormat::kQ8_K) {
    const auto *d = reinterpret_cast<const float *>(xq + n);
    for (int64_t i = 0; i < n; ++i) a[i] = qs[i] * d[i / 256];
  } else {
    const auto *dl = reinterpret_cast<const float *>(xq + padded128(n));
    for (int64_t i = 0; i < n; ++i) a[i] = qs[q8_0_pos(i)] * dl[(i / 32) * 4];
  }
  return a;
}

struct AlignedBuf {
  std::vector<uint8_t> v;
  uint8_t *p = nullptr;
  explicit AlignedBuf(size_t n) : v(n + 64) { p = v.data() + (64 - reinterpret_cast<uintptr_t>(v.data()) % 64) % 64; }
};

}  // namespace dsv4::test::kernel_util
