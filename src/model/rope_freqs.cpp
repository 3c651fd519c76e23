#include "model/rope_freqs.h"

#include <algorithm>
#include <cmath>

namespace dsv4 {

std::vector<float> yarn_rope_freqs(int64_t d_rope, float base, float factor, int64_t orig_ctx, float beta_fast,
                                   float beta_slow) {
  const int64_t n_pairs = d_rope / 2;
  std::vector<float> f(static_cast<size_t>(n_pairs));
  for (int64_t p = 0; p < n_pairs; ++p)
    f[static_cast<size_t>(p)] = static_cast<float>(std::pow(static_cast<double>(base), -2.0 * p / d_rope));
  if (factor <= 1.0f) return f;
  // Correction dim of a rotation count b: the pair index whose wavelength fits b times in orig_ctx.
  auto corr_dim = [&](double b) {
    return d_rope * std::log(static_cast<double>(orig_ctx) / (b * 2.0 * M_PI)) / (2.0 * std::log(static_cast<double>(base)));
  };
  const double low = std::max(0.0, std::floor(corr_dim(beta_fast)));
  const double high = std::min(static_cast<double>(d_rope - 1), std::ceil(corr_dim(beta_slow)));
  const double den = std::max(0.001, high - low);
  for (int64_t p = 0; p < n_pairs; ++p) {
    const double r = std::clamp((static_cast<double>(p) - low) / den, 0.0, 1.0);
    const double fp = f[static_cast<size_t>(p)];
    f[static_cast<size_t>(p)] = static_cast<float>(fp / factor * r + fp * (1.0 - r));
  }
  return f;
}

}  // namespace dsv4
