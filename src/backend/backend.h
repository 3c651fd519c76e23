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
  // FP8 E4M3 weights with one scale per 128×128 block (deepseek-v4.md §3.7, §6.3): `type` is
  // GGML_I8 holding e4m3 codes, the scales a grid [ne2][ceil(fp8_rows/128)][ceil(ne0/128)] of
  // f32 or of E8M0 bytes (2^(b−127)). fp8_rows: rows of the whole matrix; fp8_row0: the first
  // row of this view in it (views made by rows()). Both scale pointers null: not an FP8 weight.
  const float *fp8_scale_f32 = nullptr;
  const uint8_t *fp8_scale_e8m0 = nullptr;
  int64_t fp8_rows = 0;
  int64_t fp8_row0 = 0;
  // Repacked copy (src/backend/cpu/packed.h): groups of 16 rows, packed_group_bytes each, the
  // groups of one matrix consecutive, matrices packed_matrix_bytes apart. The kernels that use it
  // read it instead of `data`, which stays valid (its pages may have been released; they fault in
  // again from the file when another path reads them). nullptr: not repacked.
  const uint8_t *packed = nullptr;
  uint64_t packed_group_bytes = 0;
  uint64_t packed_matrix_bytes = 0;

  const uint8_t *row(int64_t r) const { return data + static_cast<uint64_t>(r) * row_bytes; }
  // Matrix i2 of a stack.
  WeightView matrix(int64_t i2) const;
  // Rows [first, first + n) of one matrix, as a matrix of its own.
  WeightView rows(int64_t first, int64_t n) const;
  // Rows [first, first + n) of every matrix of a stack (the stride between matrices is kept).
  WeightView stacked_rows(int64_t first, int64_t n) const;
  uint64_t bytes() const { return matrix_bytes * static_cast<uint64_t>(ne2); }
  bool valid() const { return data != nullptr; }
  bool is_fp8() const { return fp8_scale_f32 != nullptr || fp8_scale_e8m0 != nullptr; }
};

// Row r of w as f32 (any weight type the runtime computes with, FP8 block-scaled included).
void dequantize_weight_row(const WeightView &w, int64_t r, float *dst);

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
  // Hash routing (deepseek-v4.md §4.6): [T][n_used] experts fixed by the caller (token id ->
  // experts table); selection is skipped, the weights still come from the scores. nullptr: top-k.
  const int32_t *fixed_experts = nullptr;
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
  // Run the per-(token, head) reference loop instead of the matmul form (DSV4_UNFUSED).
  bool unfused = false;
};

// ---- DeepSeek V4 (deepseek-v4.md §3–§4) ----------------------------------------------------

// Row formats of V4's caches (window ring, compressed entries, index keys). kFP8 and kFP4 are
// the packed layouts of spec §5.2; src/backend/kv_format.h encodes and decodes them.
enum class KvFormat : uint32_t {
  kF32 = 0,   // dim floats
  kBF16 = 1,  // dim bfloat16
  kFP8 = 2,   // n_quant e4m3 bytes, ceil(n_quant/64) UE8M0 scale bytes, (dim - n_quant) bfloat16
  kFP4 = 3,   // dim/2 bytes of e2m1 pairs (element 2k low nibble), dim/32 UE8M0 scale bytes
};

// Rows [0, n) of a cache table laid out as up to three segments one after the other (window
// ring | this call's rows | compressed entries); row i of the table is row i - (rows of the
// earlier segments) of its segment.
struct KvSegment {
  const uint8_t *data = nullptr;
  int64_t n_rows = 0;
};
struct KvTable {
  KvFormat format = KvFormat::kF32;
  int64_t dim = 0;
  int64_t n_quant = 0;       // kFP8: leading dims stored as e4m3 (the rest are the rotary dims)
  uint64_t row_bytes = 0;    // bytes of one row in `format`
  KvSegment seg[3];
  int64_t n_rows() const { return seg[0].n_rows + seg[1].n_rows + seg[2].n_rows; }
};

// Hyper-connection mixing (§4.2, §4.7): fn {n_stream*D, n_mix} with n_mix = (2 + hc)*hc for a
// sub-layer (pre, post, comb) or hc for the output head (pre only).
struct HcParams {
  int64_t n_stream = 4;       // hc
  int64_t n_embd = 0;         // D
  int32_t sinkhorn_iters = 20;
  float hc_eps = 1e-6f;
  float norm_eps = 1e-6f;     // eps of the rms over all hc*D stream values
  WeightView fn;
  const float *scale = nullptr;  // [3] (sub-layer) or [1] (head)
  const float *base = nullptr;   // [n_mix]
};

// The sparse attention kernel with sinks (§3.9): per query t and head h, softmax over the keys
// idx[t][0..] (−1 = unused) of scale·(q·kv), the denominator enlarged by exp(sink[h]).
struct SparseAttnParams {
  int64_t n_head = 0, head_dim = 0;
  float scale = 1.0f;
  const float *sinks = nullptr;  // [n_head]
  ConstRows q;                   // [T][n_head*head_dim]
  KvTable kv;                    // each row is both key and value
  const int32_t *idx = nullptr;  // [T][idx_stride]
  int64_t idx_stride = 0;
  Rows out;                      // [T][n_head*head_dim]
};

// The lightning indexer's selection (§4.5): score_j = Σ_h relu(q_h·key_j)·w_h over the visible
// blocks j < n_visible[t]; the top_k best (all of them when n_visible <= top_k), written in
// ascending block order, −1 padded. Exact ties: the lower block index wins.
struct IndexerParams {
  int64_t n_head = 0, head_dim = 0;
  ConstRows q;                         // [T][n_head*head_dim]
  ConstRows weights;                   // [T][n_head], already scaled
  KvTable keys;                        // index keys, one per block
  const int64_t *n_visible = nullptr;  // [T]
  int64_t top_k = 0;
  int32_t *picks = nullptr;            // [T][top_k]
};

class Backend {
 public:
  virtual ~Backend() = default;
  virtual const char *name() const = 0;

  // y[t][n] = sum_k W[n][k] x[t][k] for t < x.n_rows, n < w.ne1 (exact: f32 activations).
  virtual void matmul(const WeightView &w, ConstRows x, Rows y, ThreadPool *pool) const = 0;
  // Several independent products in one parallel region (per-head MLA projections, the experts
  // of a decode step): for m < n_mats, with W_m = w.matrix(ids ? ids[m] : m),
  //   y[t][m*y_step + n] = sum_k W_m[n][k] * x[t][m*x_step + k]
  // (x_step 0: every matrix reads the same activations). Same numbers as n_mats matmul calls.
  virtual void matmul_stacked(const WeightView &w, int64_t n_mats, const int32_t *ids, ConstRows x, int64_t x_step,
                              Rows y, int64_t y_step, ThreadPool *pool) const = 0;
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

  // ---- DeepSeek V4 ops (deepseek-v4.md §4); implemented in cpu/cpu_ops_v4.cpp --------------
  // Fused ops (hc_pre, hc_head, sparse_attention, indexer_topk) each have an unfused path built
  // from the primitives below, selected by DSV4_UNFUSED=1 or the session's `unfused` flag.

  // HC_PRE fused: per token, streams [T][hc*D] -> y [T][D] = Σ_j pre_j X_j, post [T][hc],
  // comb [T][hc*hc] (row j = source stream, column k = destination), Sinkhorn-normalised.
  virtual void hc_pre(const HcParams &p, ConstRows streams, Rows y, float *post, float *comb,
                      ThreadPool *pool) const = 0;
  // HC head fused (§4.7): y = Σ_j (sigmoid(m_j·scale + base_j) + hc_eps) X_j.
  virtual void hc_head(const HcParams &p, ConstRows streams, Rows y, ThreadPool *pool) const = 0;
  // Unfused pieces: mixes [T][n_mix] (= (fn·x̂)·ρ) -> pre [T][hc], post, comb (post/comb may be
  // nullptr for the head: n_mix = hc, one scale).
  virtual void hc_mix_weights(const HcParams &p, ConstRows mixes, float *pre, float *post, float *comb) const = 0;
  // y[t] = Σ_j pre[t][j] X_j
  virtual void hc_collapse(ConstRows streams, const float *pre, int64_t n_stream, int64_t n_embd, Rows y) const = 0;
  // HC_POST: out[t][k] = post[t][k]·f[t] + Σ_j comb[t][j][k]·resid[t][j]  (out may not alias resid)
  virtual void hc_post(ConstRows f, ConstRows resid, const float *post, const float *comb, int64_t n_stream,
                       int64_t n_embd, Rows out) const = 0;

  // Compressor pooling of one block (§4.4): state rows kv/score [c*ratio][c*dim] (c = 2 when
  // ratio == 4: rows 0..3 use columns [0, dim), rows 4..7 columns [dim, 2*dim); c = 1 otherwise);
  // out[ch] = Σ_rows softmax(score[·][ch]) kv[·][ch].
  virtual void compress_pool(int64_t ratio, int64_t dim, const float *kv, const float *score, float *out) const = 0;

  // Sparse attention with sinks, fused (one pass over each query's index list).
  virtual void sparse_attention(const SparseAttnParams &p, ThreadPool *pool) const = 0;
  // Unfused piece: per row h, x[h][0..n) <- softmax of scale·x with exp(sinks[h]) added to the
  // denominator (max taken over the row only).
  virtual void softmax_with_sink(Rows x, int64_t n, float scale, const float *sinks) const = 0;

  // Indexer selection, fused (scores never materialised).
  virtual void indexer_topk(const IndexerParams &p, ThreadPool *pool) const = 0;
  // Unfused piece: picks [T][top_k] from a score matrix [T][>= n_visible[t]] (same rule).
  virtual void select_topk(ConstRows scores, const int64_t *n_visible, int64_t top_k, int32_t *picks) const = 0;

  // y = silu(min(gate, limit)) * clamp(up, −limit, limit); limit <= 0: no clamp (§4.6).
  virtual void swiglu_clamped(ConstRows gate, ConstRows up, int64_t n, float limit, Rows y) const = 0;
  // In place, per head of head_dim (a power of two): x <- H·x / sqrt(head_dim) (§3.8).
  virtual void hadamard(Rows x, int64_t n_heads, int64_t head_dim) const = 0;
};

// The CPU backend: always built, the reference every other backend is compared with.
const Backend &cpu_backend();

}  // namespace dsv4
