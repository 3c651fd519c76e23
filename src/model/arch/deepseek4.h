// DeepSeek V4-Flash / V4-Pro (GGUF "deepseek4"): mHC residual streams, sliding-window +
// compressed (CSA / HCA) attention with a lightning indexer, sqrt-softplus MoE with hash-routed
// first layers. ../shared/spec/deepseek-v4.md §4.
#pragma once

#include <cstdint>
#include <memory>

namespace dsv4 {
namespace gguf {
class File;
}
class ArchModel;
class PackedWeights;

std::unique_ptr<ArchModel> load_deepseek4(const gguf::File &file, uint64_t memory_limit, PackedWeights *packer);

}  // namespace dsv4
