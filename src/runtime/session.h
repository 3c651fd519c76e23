// A session: one sequence's decode state over a shared model, its thread pool and the logits
// of its last evaluation. Used by one thread at a time; cancel() from any thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <vector>

#include "model/arch/arch.h"

namespace dsv4 {

class Model;
class ThreadPool;

struct SessionOptions {
  int64_t n_ctx = 0;          // 0: min(n_ctx_train, 4096)
  int32_t n_threads = 0;      // 0: hardware threads
  CacheType cache_type = CacheType::kF32;
  uint64_t memory_limit = 0;  // 0: MemAvailable
  int64_t n_batch = 512;      // tokens per forward call when evaluating long inputs
};

class Session {
 public:
  Session(const Model &model, const SessionOptions &opts);
  ~Session();

  // Appends tokens at the current length. output[i] != 0 flags rows whose logits are kept;
  // an empty mask keeps the last token's. Throws TOKEN_OUT_OF_RANGE / CONTEXT_FULL before
  // touching any state, CANCELLED when cancel() was called (the tokens evaluated so far stay).
  void eval(const int32_t *tokens, int64_t n, const uint8_t *output_mask, const TraceHook *trace = nullptr);

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
  uint64_t planned_bytes() const { return planned_bytes_; }
  uint64_t state_bytes() const;

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
  int64_t n_outputs_ = 0;
  std::atomic<bool> cancel_{false};
};

}  // namespace dsv4
