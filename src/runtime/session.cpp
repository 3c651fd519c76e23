#include "runtime/session.h"

#include <algorithm>
#include <thread>

#include "backend/cpu/thread_pool.h"
#include "common/error.h"
#include "common/memory.h"
#include "runtime/model.h"

namespace dsv4 {

namespace {
const ArchModel &require_arch(const Model &m) {
  if (!m.arch()) fail(DSV4_ERR_INVALID_ARGUMENT, "the model was loaded with vocab_only; it cannot evaluate tokens");
  return *m.arch();
}
}  // namespace

Session::Session(const Model &model, const SessionOptions &o)
    : model_(model), arch_(require_arch(model)), memory_limit_(resolve_memory_limit(o.memory_limit)) {
  n_ctx_ = o.n_ctx > 0 ? o.n_ctx : std::min<int64_t>(arch_.n_ctx_train() > 0 ? arch_.n_ctx_train() : 4096, 4096);
  if (o.n_ctx < 0) fail(DSV4_ERR_INVALID_ARGUMENT, "n_ctx must be >= 0");
  n_batch_ = o.n_batch > 0 ? o.n_batch : 512;
  int threads = o.n_threads > 0 ? o.n_threads : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  if (threads > 1024) fail(DSV4_ERR_INVALID_ARGUMENT, "n_threads " + std::to_string(threads) + " is more than 1024");

  StateOptions so;
  so.n_ctx = n_ctx_;
  so.n_seq = 1;
  so.cache_type = o.cache_type;
  // The plan: decode state + scratch of one batch + its logits, checked before allocating.
  const int64_t n_b = std::min(n_batch_, n_ctx_);
  planned_bytes_ = arch_.state_bytes(so) + arch_.scratch_bytes(n_b) +
                   static_cast<uint64_t>(n_b) * static_cast<uint64_t>(arch_.n_vocab()) * 4;
  check_memory_plan("a session with n_ctx " + std::to_string(n_ctx_), planned_bytes_, memory_limit_);
  state_ = arch_.new_state(so);
  pool_ = std::make_unique<ThreadPool>(threads);
  model_.live_sessions.fetch_add(1);
}

Session::~Session() { model_.live_sessions.fetch_sub(1); }

int64_t Session::n_vocab() const { return arch_.n_vocab(); }

uint64_t Session::state_bytes() const { return state_->allocated_bytes(); }

void Session::eval(const int32_t *tokens, int64_t n, const uint8_t *mask, const TraceHook *trace) {
  if (n <= 0) fail(DSV4_ERR_INVALID_ARGUMENT, "no tokens to evaluate");
  const int64_t V = arch_.n_vocab();
  for (int64_t i = 0; i < n; ++i)
    if (tokens[i] < 0 || tokens[i] >= V)
      fail(DSV4_ERR_TOKEN_OUT_OF_RANGE, "token " + std::to_string(tokens[i]) + " at index " + std::to_string(i) +
                                            " is outside the vocabulary [0, " + std::to_string(V) + ")");
  if (length() + n > n_ctx_)
    fail(DSV4_ERR_CONTEXT_FULL, "context full: " + std::to_string(length()) + " tokens + " + std::to_string(n) +
                                    " new exceed n_ctx " + std::to_string(n_ctx_));
  cancel_.store(false, std::memory_order_relaxed);

  int64_t n_out = 0;
  for (int64_t i = 0; i < n; ++i) n_out += mask ? (mask[i] != 0) : (i == n - 1);
  std::vector<float> out(static_cast<size_t>(n_out * V));
  int64_t out_row = 0;
  ForwardOptions fo;
  fo.pool = pool_.get();
  fo.trace = trace;
  fo.cancel = &cancel_;
  for (int64_t start = 0; start < n; start += n_batch_) {
    const int64_t m = std::min(n_batch_, n - start);
    Batch b;
    b.tokens.assign(tokens + start, tokens + start + m);
    b.pos.resize(static_cast<size_t>(m));
    b.seq.assign(static_cast<size_t>(m), 0);
    b.output.resize(static_cast<size_t>(m));
    int64_t rows = 0;
    for (int64_t i = 0; i < m; ++i) {
      b.pos[static_cast<size_t>(i)] = length() + i;
      const int64_t g = start + i;
      b.output[static_cast<size_t>(i)] = mask ? (mask[g] != 0) : (g == n - 1);
      rows += b.output[static_cast<size_t>(i)];
    }
    arch_.forward(*state_, b, out.data() + out_row * V, fo);
    out_row += rows;
    tokens_.insert(tokens_.end(), b.tokens.begin(), b.tokens.end());
  }
  logits_.swap(out);
  n_outputs_ = n_out;
}

void Session::truncate(int64_t n_keep) {
  if (n_keep < 0 || n_keep > length())
    fail(DSV4_ERR_INVALID_ARGUMENT, "truncate to " + std::to_string(n_keep) + ": the session holds " +
                                        std::to_string(length()) + " tokens");
  arch_.truncate(*state_, 0, n_keep);
  tokens_.resize(static_cast<size_t>(n_keep));
}

}  // namespace dsv4
