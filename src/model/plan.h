// "Will it fit": the memory of a model and of one session, by part, from the configuration
// alone (a preset or a GGUF's metadata) — before downloading or loading anything. Weight bytes
// come from the tensor shapes the architecture defines and a weight type; session bytes from
// the same plan functions the sessions allocate by (deepseek4: plan_deepseek4_state).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "model/arch/arch.h"

namespace dsv4 {
namespace gguf {
class File;
}

struct PlanPart {
  std::string name;
  uint64_t bytes = 0;
};

struct MemoryPlan {
  std::string arch;                 // "deepseek2" | "deepseek4"
  std::string weights_type;         // what the weight bytes assume
  std::vector<PlanPart> weights;    // attention, shared_expert, routed_experts, dense_ffn, embeddings_head, other
  std::vector<PlanPart> session;    // deepseek4: window, compressed_kv, indexer, compressor, snapshots, scratch, logits
  uint64_t state_per_sequence = 0;  // the decode state one sequence holds at a time (no snapshots, scratch)
  // Anonymous memory of the packed copies a load with repack = on makes (also auto, when the
  // file is at most half the memory limit): 0 for weight types without a packed layout.
  uint64_t repacked = 0;
  uint64_t weights_total() const;
  uint64_t session_total() const;
};

struct PlanRequest {
  int64_t context = 4096;
  CacheType cache_type = CacheType::kF32;
  // "native" (DeepSeek's checkpoint types), "gguf" (llama.cpp's converter: Q8_0 dense, MXFP4
  // routed experts for V4, BF16 embeddings / router / compressors), "fp8" (every matrix FP8
  // E4M3 with E8M0 128×128 block scales), or a ggml type name for every matrix ("q4_k", "bf16",
  // …). Empty: the file's own tensors (plan_file), or native (plan_preset).
  std::string weights_type;
  int64_t n_batch = 512;
  int64_t snapshot_interval = 4096;
};

// Presets: "v2-lite", "v3", "v4-flash", "v4-pro" (backbone; MTP blocks not counted).
// INVALID_ARGUMENT for an unknown preset or weight type.
MemoryPlan plan_preset(const std::string &preset, const PlanRequest &req);
// From a GGUF's metadata and tensor table (tensor data need not be loaded).
MemoryPlan plan_file(const gguf::File &file, const PlanRequest &req);

// The part a GGUF tensor name belongs to.
std::string plan_part_of(const std::string &tensor_name);

}  // namespace dsv4
