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

std::unique_ptr<ArchModel> load_deepseek2(const gguf::File &file, uint64_t memory_limit);

}  // namespace dsv4
