// The weights one decode step reads (issue "CPU speed"): attention (and V4's compressor,
// indexer and hyper-connection tensors), dense FFN, router, shared experts, the top-k routed
// experts of each MoE layer and the output head, at their stored types — not the embedding row,
// norms (1-D tensors), the hash-routing table or the KV cache. Decode speed is bounded by
// memory bandwidth / these bytes.
#pragma once

#include <cstdint>

namespace dsv4 {
namespace gguf {
class File;
}

struct ActiveWeights {
  uint64_t bytes = 0;   // per decoded token
  uint64_t params = 0;  // weight elements multiplied per token (2 FLOP each)
};

ActiveWeights active_weights_per_token(const gguf::File &file);

}  // namespace dsv4
