// Architecture name -> forward-pass implementation.
#pragma once

#include <cstdint>
#include <memory>

namespace dsv4 {
namespace gguf {
class File;
}
class ArchModel;
class PackedWeights;

// Throws WRONG_ARCHITECTURE naming general.architecture when it is not one dsv4 runs.
std::unique_ptr<ArchModel> load_arch_model(const gguf::File &file, uint64_t memory_limit, PackedWeights *packer);

}  // namespace dsv4
