// Per-architecture parts of the model maker: the arch's metadata keys, in the order llama.cpp's
// converter writes them, and the tensor list in the order the test models store it.
// Internal to src/model/maker.
#pragma once

#include <vector>

#include "model/maker/maker.h"
#include "model/maker/tensor_plan.h"

namespace dsv4::gguf {
class Writer;
}

namespace dsv4::maker {

// deepseek-v3.md §6.1 / §6.2 (MLA-split layout: attn_k_b / attn_v_b and the *_mla keys).
void write_deepseek2_metadata(const Deepseek2Shape &c, gguf::Writer &w);
std::vector<TensorPlan> plan_deepseek2_tensors(const Deepseek2Shape &c);

// deepseek-v4.md §7.1 / §7.2 (no MTP block).
void write_deepseek4_metadata(const Deepseek4Shape &c, gguf::Writer &w);
std::vector<TensorPlan> plan_deepseek4_tensors(const Deepseek4Shape &c);

}  // namespace dsv4::maker
