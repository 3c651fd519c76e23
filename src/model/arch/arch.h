// The interface between the runtime and one architecture's forward pass.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace dsv4 {

class ThreadPool;

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

struct StateOptions {
  int64_t n_ctx = 0;        // positions per sequence
  int32_t n_seq = 1;        // sequence slots
  CacheType cache_type = CacheType::kF32;
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
};

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
  // Bytes of scratch a forward of n_tokens tokens needs.
  virtual uint64_t scratch_bytes(int64_t n_tokens) const = 0;
  virtual std::unique_ptr<ArchState> new_state(const StateOptions &opts) const = 0;
  // Forgets positions >= n_keep of sequence seq.
  virtual void truncate(ArchState &state, int32_t seq, int64_t n_keep) const = 0;

  // Runs the batch; writes [n_output_rows][n_vocab] logits.
  virtual void forward(ArchState &state, const Batch &batch, float *logits, const ForwardOptions &opts) const = 0;
};

}  // namespace dsv4
