// Small f32 vector helpers with a fixed summation order (8 interleaved partial sums, then a
// fixed tree), so every caller gets the same bits regardless of threading.
#pragma once

#include <cmath>
#include <cstdint>

namespace dsv4 {

inline float vec_dot(const float *a, const float *b, int64_t n) {
  float acc[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  int64_t i = 0;
  for (; i + 8 <= n; i += 8)
    for (int j = 0; j < 8; ++j) acc[j] += a[i + j] * b[i + j];
  for (int j = 0; i < n; ++i, ++j) acc[j] += a[i] * b[i];
  return ((acc[0] + acc[4]) + (acc[1] + acc[5])) + ((acc[2] + acc[6]) + (acc[3] + acc[7]));
}

// 1 / sqrt(mean(x^2) + eps), the sum in double (RMSNorm, the mHC stream norm).
inline float rms_inv(const float *x, int64_t n, float eps) {
  double ss = 0.0;
  for (int64_t i = 0; i < n; ++i) ss += static_cast<double>(x[i]) * x[i];
  return static_cast<float>(1.0 / std::sqrt(ss / static_cast<double>(n) + eps));
}

// y += a * x
inline void vec_axpy(float *y, const float *x, float a, int64_t n) {
  for (int64_t i = 0; i < n; ++i) y[i] += a * x[i];
}

}  // namespace dsv4
