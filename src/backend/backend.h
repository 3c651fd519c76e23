// The backend interface: about fifteen coarse ops at DeepSeek's own granularity, so each
// backend can fuse inside an op. A virtual call happens once per op per layer, never per row.
// Activations are float32 row-major [rows][cols] with explicit strides (in elements).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace dsv4 {

class ThreadPool;

// A weight matrix (or a stack of them) as stored in the file: rows of ne0 elements of `type`.
struct WeightView {
  uint32_t type = 0;
  int64_t ne0 = 0;            // row length (input dimension)
  int64_t ne1 = 0;            // rows (output dimension)
  int64_t ne2 = 1;            // stacked matrices (experts, heads)
  uint64_t row_bytes = 0;     // bytes of one row
  uint64_t matrix_bytes = 0;  // bytes between stacked matrices
  const uint8_t *data = nullptr;
  const char *name = "";

  const uint8_t *row(int64_t r) const { return data + static_cast<uint64_t>(r) * row_bytes; }
  // Matrix i2 of a stack.
  WeightView matrix(int64_t i2) const;
  // Rows [first, first + n) of one matrix, as a matrix of its own.
  WeightView rows(int64_t first, int64_t n) const;
  uint64_t bytes() const { return matrix_bytes * static_cast<uint64_t>(ne2); }
  bool valid() const { return data != nullptr; }
};

// Strided float matrix views.
struct ConstRows {
  const float *data;
  int64_t n_rows;
  int64_t stride;
  const float *row(int64_t r) const { return data + r * stride; }
};
struct Rows {
  float *data;
  int64_t n_rows;
  int64_t stride;
  float *row(int64_t r) const { return data + r * stride; }
};

// Parameters of MoE routing (deepseek-v3.md §3.5, deepseek-v4.md §4.6).
struct MoeRouteParams {
  int32_t gating = 1;              // 1 softmax, 2 sigmoid, 4 sqrt(softplus)
  int64_t n_expert = 0;
  int64_t n_used = 0;
  int64_t n_group = 0;             // group limit when > 1
  int64_t n_group_used = 0;
  bool norm = false;               // divide by max(sum, 6.103515625e-5)
  float scale = 0.0f;              // applied when neither 0 nor 1
  const float *bias = nullptr;     // selection-only bias [n_expert] or nullptr
};

// One MLA attention call over a latent cache (absorbed form, deepseek-v3.md §3.3).
struct MlaParams {
  int64_t n_head = 0, d_latent = 0, d_rope = 0;
  float scale = 1.0f;
  // Per token: the absorbed query [n_head][d_latent + d_rope] (latent part then rope part).
  ConstRows q;
  // Cache rows [n_ctx][d_latent + d_rope]: f32 (cache_f32) or bf16 (cache_bf16).
  const float *cache_f32 = nullptr;
  const uint16_t *cache_bf16 = nullptr;
  const int64_t *n_keys = nullptr;  // per token: attend to cache rows [0, n_keys[t])
  // Output per token: [n_head][d_latent] attention-weighted latent.
  Rows out;
};

class Backend {
 public:
  virtual ~Backend() = default;
  virtual const char *name() const = 0;

  // y[t][n] = sum_k W[n][k] x[t][k] for t < x.n_rows, n < w.ne1 (exact: f32 activations).
  virtual void matmul(const WeightView &w, ConstRows x, Rows y, ThreadPool *pool) const = 0;
  // y[t][k] = sum_j x[t][j] W[j][k]  (W transposed; used for the absorbed legacy MLA layout).
  virtual void matmul_t(const WeightView &w, ConstRows x, Rows y, ThreadPool *pool) const = 0;
  // out[i] = row ids[i] of w, dequantized.
  virtual void get_rows(const WeightView &w, const int32_t *ids, int64_t n, Rows out) const = 0;
  // y = x / sqrt(mean(x^2) + eps) * w (w may be nullptr: unweighted). In place allowed.
  virtual void rms_norm(ConstRows x, int64_t n, const float *w, float eps, Rows y) const = 0;
  // Rotates adjacent pairs of x[t][0 .. 2*len(freqs)) by pos[t]*freqs[i] (inverse: negative angle).
  virtual void rope(Rows x, int64_t n_heads, int64_t head_stride, int64_t offset, const float *freqs,
                    int64_t n_pairs, const int64_t *pos, bool inverse) const = 0;
  // y[t][i] = silu(gate[t][i]) * up[t][i]
  virtual void swiglu(ConstRows gate, ConstRows up, int64_t n, Rows y) const = 0;
  // Chooses n_used experts and their weights per token from router logits [T][n_expert].
  virtual void moe_route(ConstRows logits, const MoeRouteParams &p, int32_t *experts, float *weights) const = 0;
  virtual void mla_attention(const MlaParams &p, ThreadPool *pool) const = 0;
};

// The CPU backend: always built, the reference every other backend is compared with.
const Backend &cpu_backend();

}  // namespace dsv4
