// RoPE frequency tables with YaRN (deepseek-v3.md §2, deepseek-v4.md §3.4): computed once at
// load, one frequency per rotated pair.
#pragma once

#include <cstdint>
#include <vector>

namespace dsv4 {

// f_p = base^(-2p/d_rope); with factor > 1 the YaRN ramp between the correction dims of
// beta_fast / beta_slow over orig_ctx interpolates f_p towards f_p / factor.
std::vector<float> yarn_rope_freqs(int64_t d_rope, float base, float factor, int64_t orig_ctx, float beta_fast,
                                   float beta_slow);

}  // namespace dsv4
