// A session: one sequence's decode state over a shared model, its thread pool and the logits
// of its last evaluation. Used by one thread at a time; cancel() from any thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <vector>

#include "model/arch/arch.h"
#include "model/arch/expert_stats.h"

namespace dsv4 {

class Model;
class ThreadPool;

struct SessionOptions {
  int64_t n_ctx = 0;          // 0: min(n_ctx_train, 4096)
  int32_t n_threads = 0;      // 0: hardware threads
  CacheType cache_type = CacheType::kF32;
  uint64_t memory_limit = 0;  // 0: MemAvailable
  int64_t n_batch = 512;      // tokens per forward call when evaluating long inputs
  bool unfused = false;       // fused ops run their unfused paths (also env DSV4_UNFUSED=1)
  int64_t snapshot_interval = 4096;  // deepseek4: rewind snapshot every N tokens (multiple of 128)
  uint32_t v4_numerics = 0;   // deepseek4: V4Numerics bits (DeepSeek's own roundings)
  Isa isa = Isa::kAuto;       // CPU kernel family (kAuto: DSV4_ISA, else the best the CPU has)
  bool int8_activations = false;  // matmuls round activations to 8 bits (faster, not the exact path)
};

class Session {
 public:
  Session(const Model &model, const SessionOptions &opts);
  ~Session();

  // Appends tokens at the current length. output[i] != 0 flags rows whose logits are kept;
  // an empty mask keeps the last token's. Throws TOKEN_OUT_OF_RANGE / CONTEXT_FULL before
  // touching any state, CANCELLED when cancel() was called (the tokens evaluated so far stay).
  // eval() first forgets an earlier cancel(); with clear_cancel = false it honours one instead,
  // for callers that run many evals as one cancellable operation (generation clears the flag
  // once at its start, so a cancel() landing between two of its evals is not lost).
  void eval(const int32_t *tokens, int64_t n, const uint8_t *output_mask, const TraceHook *trace = nullptr,
            bool clear_cancel = true);

  const std::vector<float> &logits() const { return logits_; }
  int64_t n_outputs() const { return n_outputs_; }
  int64_t n_vocab() const;
  int64_t length() const { return static_cast<int64_t>(tokens_.size()); }
  int64_t n_ctx() const { return n_ctx_; }
  const std::vector<int32_t> &tokens() const { return tokens_; }
  const Model &model() const { return model_; }

  void truncate(int64_t n_keep);
  void clear() { truncate(0); }
  void cancel() { cancel_.store(true, std::memory_order_relaxed); }
  bool cancel_requested() const { return cancel_.load(std::memory_order_relaxed); }
  void clear_cancel() { cancel_.store(false, std::memory_order_relaxed); }
  // Routing counts of every token evaluated since creation or the last reset; nullptr for a
  // model without routed experts.
  ExpertStats *expert_stats() { return expert_stats_.get(); }
  const ExpertStats *expert_stats() const { return expert_stats_.get(); }
  uint64_t planned_bytes() const { return planned_bytes_; }
  uint64_t state_bytes() const;
  int n_threads() const;
  // The kernel family matmuls run on (resolved from the request, DSV4_ISA and the CPU).
  Isa isa() const;
  bool int8_activations() const { return matmul_.mode == MatmulMode::kInt8; }

 private:
  const Model &model_;
  const ArchModel &arch_;
  int64_t n_ctx_;
  int64_t n_batch_;
  uint64_t memory_limit_;
  uint64_t planned_bytes_ = 0;
  std::unique_ptr<ArchState> state_;
  std::unique_ptr<ThreadPool> pool_;
  std::vector<int32_t> tokens_;
  std::vector<float> logits_;
  std::vector<float> logits_next_;
  int64_t n_outputs_ = 0;
  std::atomic<bool> cancel_{false};
  std::unique_ptr<ExpertStats> expert_stats_;
  bool unfused_ = false;
  MatmulOptions matmul_;
  // Set when a forward stopped part-way (cancel, error): the state must be made whole (the
  // arch's truncate to the current length, then a replay) before it is used again.
  bool resync_ = false;

  // Runs tokens_[from, to) through the model again without outputs (rewind, resync).
  void replay(int64_t from, int64_t to);
  void make_whole();
};

}  // namespace dsv4
