// DeepSeek V2 / V2-Lite / V3 / R1 (GGUF "deepseek2"): MLA attention over a latent cache plus
// MoE with shared experts. ../shared/spec/deepseek-v3.md §3.
#pragma once

#include <cstdint>
#include <memory>

namespace dsv4 {
namespace gguf {
class File;
}
class ArchModel;
class PackedWeights;
struct Deepseek2Config;

std::unique_ptr<ArchModel> load_deepseek2(const gguf::File &file, uint64_t memory_limit, PackedWeights *packer);

// Scratch of a forward pass of n_tokens tokens with a cache of n_ctx positions (also planned by
// `dsv4 plan`).
uint64_t deepseek2_scratch_bytes(const Deepseek2Config &c, int64_t n_tokens, int64_t n_ctx);

}  // namespace dsv4
