#include "model/arch/registry.h"

#include "common/error.h"
#include "format/gguf.h"
#include "model/arch/arch.h"
#include "model/arch/deepseek2.h"
#include "model/arch/deepseek4.h"

namespace dsv4 {

std::unique_ptr<ArchModel> load_arch_model(const gguf::File &file, uint64_t memory_limit, PackedWeights *packer) {
  const std::string arch = file.get_string("general.architecture").value_or("");
  if (arch == "deepseek2") return load_deepseek2(file, memory_limit, packer);
  if (arch == "deepseek4") return load_deepseek4(file, memory_limit, packer);
  fail(DSV4_ERR_WRONG_ARCHITECTURE, file.path() + ": general.architecture is '" + arch +
                                        "'; dsv4 runs deepseek2 (DeepSeek V2/V3/R1) and deepseek4 (DeepSeek V4)" +
                                        " (load with vocab_only to use only its tokenizer)");
}

}  // namespace dsv4
