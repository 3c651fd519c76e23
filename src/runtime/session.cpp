#include "runtime/session.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <thread>

#include "backend/cpu/thread_pool.h"
#include "common/error.h"
#include "common/memory.h"
#include "format/gguf.h"
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
  // Bounds the size products of the memory plan (layers x n_ctx x row, ...) far below 2^64: a
  // larger n_ctx could wrap them to a small plan that passes the check, then index past the cache.
  constexpr int64_t kMaxCtx = int64_t{1} << 32;
  if (n_ctx_ > kMaxCtx)
    fail(DSV4_ERR_INVALID_ARGUMENT, "n_ctx " + std::to_string(n_ctx_) + " is more than " + std::to_string(kMaxCtx));
  n_batch_ = o.n_batch > 0 ? o.n_batch : 512;
  int threads = o.n_threads > 0 ? o.n_threads : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  if (threads > 1024) fail(DSV4_ERR_INVALID_ARGUMENT, "n_threads " + std::to_string(threads) + " is more than 1024");

  StateOptions so;
  so.n_ctx = n_ctx_;
  so.n_seq = 1;
  so.cache_type = o.cache_type;
  so.snapshot_interval = o.snapshot_interval;
  so.v4_numerics = o.v4_numerics;
  const char *env_unfused = std::getenv("DSV4_UNFUSED");
  unfused_ = o.unfused || (env_unfused && std::strcmp(env_unfused, "1") == 0);
  matmul_.isa = o.isa;
  matmul_.mode = o.int8_activations ? MatmulMode::kInt8 : MatmulMode::kExact;
  // The plan: decode state + scratch of one batch + its logits, checked before allocating.
  const int64_t n_b = std::min(n_batch_, n_ctx_);
  planned_bytes_ = arch_.state_bytes(so) + arch_.scratch_bytes(n_b, so) + session_logits_bytes(n_b, arch_.n_vocab());
  check_memory_plan("a session with n_ctx " + std::to_string(n_ctx_), planned_bytes_, memory_limit_);
  state_ = arch_.new_state(so);
  pool_ = std::make_unique<ThreadPool>(threads);
  // deepseek2 and deepseek4 both name the routed expert count {arch}.expert_count.
  const int64_t n_expert = model_.file().get_int(model_.architecture() + ".expert_count").value_or(0);
  if (n_expert > 0) expert_stats_ = std::make_unique<ExpertStats>(arch_.n_layer(), n_expert);
  model_.live_sessions.fetch_add(1);
}

Session::~Session() { model_.live_sessions.fetch_sub(1); }

int64_t Session::n_vocab() const { return arch_.n_vocab(); }

int Session::n_threads() const { return pool_->size(); }

Isa Session::isa() const { return effective_isa(matmul_.isa); }

uint64_t Session::state_bytes() const { return state_->allocated_bytes(); }

void Session::eval(const int32_t *tokens, int64_t n, const uint8_t *mask, const TraceHook *trace, bool clear_cancel) {
  if (n <= 0) fail(DSV4_ERR_INVALID_ARGUMENT, "no tokens to evaluate");
  // The length check first (and without overflow: n may be huge): it bounds the token reads.
  if (n > n_ctx_ - length())
    fail(DSV4_ERR_CONTEXT_FULL, "context full: " + std::to_string(length()) + " tokens + " + std::to_string(n) +
                                    " new exceed n_ctx " + std::to_string(n_ctx_));
  const int64_t V = arch_.n_vocab();
  for (int64_t i = 0; i < n; ++i)
    if (tokens[i] < 0 || tokens[i] >= V)
      fail(DSV4_ERR_TOKEN_OUT_OF_RANGE, "token " + std::to_string(tokens[i]) + " at index " + std::to_string(i) +
                                            " is outside the vocabulary [0, " + std::to_string(V) + ")");
  if (clear_cancel) cancel_.store(false, std::memory_order_relaxed);
  if (resync_) make_whole();

  int64_t n_out = 0;
  for (int64_t i = 0; i < n; ++i) n_out += mask ? (mask[i] != 0) : (i == n - 1);
  // Filled in a second buffer so the logits change only when the whole eval succeeds; both keep
  // their capacity, so decode steps do not allocate.
  std::vector<float> &out = logits_next_;
  out.resize(static_cast<size_t>(n_out * V));
  int64_t out_row = 0;
  ForwardOptions fo;
  fo.pool = pool_.get();
  fo.trace = trace;
  fo.cancel = &cancel_;
  fo.expert_stats = expert_stats_.get();
  fo.unfused = unfused_;
  fo.matmul = matmul_;
  const MatmulScope matmul_scope(fo.matmul);
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
    try {
      arch_.forward(*state_, b, out.data() + out_row * V, fo);
    } catch (...) {
      resync_ = true;  // the batch may have updated some layers' state only
      throw;
    }
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
  const int64_t from = arch_.truncate(*state_, 0, n_keep);
  tokens_.resize(static_cast<size_t>(n_keep));
  resync_ = false;
  replay(from, n_keep);
}

void Session::make_whole() {
  const int64_t from = arch_.truncate(*state_, 0, length());
  resync_ = false;
  replay(from, length());
}

void Session::replay(int64_t from, int64_t to) {
  ForwardOptions fo;
  fo.pool = pool_.get();
  fo.unfused = unfused_;
  fo.matmul = matmul_;
  const MatmulScope matmul_scope(fo.matmul);
  for (int64_t start = from; start < to; start += n_batch_) {
    const int64_t m = std::min(n_batch_, to - start);
    Batch b;
    b.tokens.assign(tokens_.begin() + start, tokens_.begin() + start + m);
    b.pos.resize(static_cast<size_t>(m));
    for (int64_t i = 0; i < m; ++i) b.pos[static_cast<size_t>(i)] = start + i;
    b.seq.assign(static_cast<size_t>(m), 0);
    b.output.assign(static_cast<size_t>(m), 0);
    try {
      arch_.forward(*state_, b, nullptr, fo);
    } catch (...) {
      resync_ = true;
      throw;
    }
  }
}

}  // namespace dsv4
