// The interface between the runtime and one architecture's forward pass.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "backend/cpu/matmul_options.h"

namespace dsv4 {

class ThreadPool;
class ExpertStats;

// One forward call: tokens appended to sequences. Token i goes to sequence seq[i] at
// position pos[i]; rows with output[i] != 0 produce logits, in order.
struct Batch {
  std::vector<int32_t> tokens;
  std::vector<int64_t> pos;
  std::vector<int32_t> seq;
  std::vector<uint8_t> output;
  int64_t size() const { return static_cast<int64_t>(tokens.size()); }
};

enum class CacheType : int32_t { kF32 = 0, kBF16 = 1, kFP8 = 2 };

// DeepSeek's own numerics for deepseek4 (spec §3.5–§3.7, §4.6), off by default: the default f32
// path follows llama.cpp, which the golden tests check. Bits of StateOptions::v4_numerics; the
// values equal the DSV4_V4_* flags of dsv4.h.
enum V4Numerics : uint32_t {
  kV4NoSharedClamp = 1u,  // the shared expert is not clamped (official code)
  kV4KvFp8 = 2u,          // window and compressed KV rounded to FP8 (block 64, rotary dims kept)
  kV4IndexerFp4 = 4u,     // Hadamard-rotated indexer queries and keys rounded to FP4 (block 32)
  kV4ActFp8 = 8u,         // inputs of the FP8/FP4 linears rounded to FP8 (block 128)
};

struct StateOptions {
  int64_t n_ctx = 0;        // positions per sequence
  int32_t n_seq = 1;        // sequence slots
  CacheType cache_type = CacheType::kF32;
  int64_t snapshot_interval = 4096;  // deepseek4 rewind snapshots every this many tokens (multiple of 128)
  uint32_t v4_numerics = 0;          // V4Numerics bits
};

// Per-session decode state (KV cache, compressor state, ...). Owned by a session.
class ArchState {
 public:
  virtual ~ArchState() = default;
  virtual uint64_t allocated_bytes() const = 0;
};

// Named intermediates for tests: called with [rows][cols] row-major float data.
using TraceHook = std::function<void(const std::string &name, const float *data, int64_t rows, int64_t cols)>;

struct ForwardOptions {
  ThreadPool *pool = nullptr;   // nullptr: run on the calling thread
  const TraceHook *trace = nullptr;
  const std::atomic<bool> *cancel = nullptr;  // checked between layers
  ExpertStats *expert_stats = nullptr;        // routing choices are counted here when set
  bool unfused = false;         // run every fused op through its unfused path (DSV4_UNFUSED=1)
  MatmulOptions matmul;         // kernel family and exact/int8 mode; the caller holds a MatmulScope
};

// Logits memory of a session evaluating `rows` output rows: the current and the next eval's
// buffer (Session fills the second and swaps, so a failed eval keeps the old logits).
inline uint64_t session_logits_bytes(int64_t rows, int64_t n_vocab) {
  return 2 * static_cast<uint64_t>(rows) * static_cast<uint64_t>(n_vocab) * 4;
}

class ArchModel {
 public:
  virtual ~ArchModel() = default;
  virtual int64_t n_vocab() const = 0;
  virtual int64_t n_layer() const = 0;
  virtual int64_t n_embd() const = 0;
  virtual int64_t n_ctx_train() const = 0;
  virtual std::vector<std::string> describe() const = 0;

  // Bytes a state with these options allocates (planned before allocating).
  virtual uint64_t state_bytes(const StateOptions &opts) const = 0;
  // Bytes of scratch a forward of n_tokens tokens needs over a state with these options.
  virtual uint64_t scratch_bytes(int64_t n_tokens, const StateOptions &opts) const = 0;
  virtual std::unique_ptr<ArchState> new_state(const StateOptions &opts) const = 0;
  // Forgets positions >= n_keep of sequence seq. Returns the position from which the caller
  // must evaluate its tokens again (<= n_keep; tokens [returned, n_keep) are re-fed without
  // outputs) — n_keep itself when nothing needs re-evaluation. Also called with n_keep = the
  // current length after a forward failed or was cancelled part-way, to make the state whole.
  virtual int64_t truncate(ArchState &state, int32_t seq, int64_t n_keep) const = 0;

  // Runs the batch; writes [n_output_rows][n_vocab] logits.
  virtual void forward(ArchState &state, const Batch &batch, float *logits, const ForwardOptions &opts) const = 0;
};

}  // namespace dsv4
