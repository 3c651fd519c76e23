// Which ggml type each tensor gets under a TypeMix. Internal to src/model/maker; exposed for
// tests.
#pragma once

#include <cstdint>
#include <string_view>

#include "model/maker/maker.h"
#include "model/maker/tensor_plan.h"

namespace dsv4::maker {

// "blk.3.ffn_down_shexp.weight" -> "ffn_down_shexp"; "output.weight" -> "output".
std::string_view base_name(std::string_view tensor_name);

// The type a block quant falls back to when ne0 is not a multiple of its block: K-quants
// (256) fall back to Q4_0 (for Q4_K) or Q8_0 (for the others), then anything with a block of 32
// falls back to F32 when ne0 is not a multiple of 32.
uint32_t fit_row_length(uint32_t wanted, int64_t ne0);

// The type of `t` under `mix` (fallbacks applied).
uint32_t choose_type(TypeMix mix, const TensorPlan &t);

}  // namespace dsv4::maker
