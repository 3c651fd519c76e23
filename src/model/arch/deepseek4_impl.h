// Internals of the deepseek4 forward pass shared by deepseek4.cpp (model, mHC, MoE, head) and
// deepseek4_attention.cpp (the attention sub-layer): per-layer weights, the scratch arena and
// the context of one forward call.
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "backend/backend.h"
#include "common/error.h"
#include "model/arch/arch.h"
#include "model/arch/deepseek4_state.h"
#include "model/config.h"

namespace dsv4::v4 {

// One hyper-connection mixing site: fn {hc·D, n_mix}, scale [3] or [1], base [n_mix] (§4.2).
struct HcWeights {
  WeightView fn;
  std::vector<float> scale, base;
};

// A compressor (§4.4): wkv / wgate {D, c·d}, ape [r][c·d] (row = position mod r), norm [d].
struct CompressorWeights {
  WeightView kv, gate;
  std::vector<float> ape, norm;
};

struct Layer {
  int32_t ratio = 0;             // 0 window only, 4 CSA, 128 HCA
  const float *rope_freqs = nullptr;  // [d_rope/2]: plain table (ratio 0) or compressed YaRN table
  HcWeights hc_attn, hc_ffn;
  std::vector<float> attn_norm, ffn_norm;
  // Attention (§4.3)
  WeightView q_a, q_b;           // {D, q_lora}, {q_lora, H·hd}
  std::vector<float> q_a_norm;   // [q_lora]
  WeightView kv;                 // {D, hd}
  std::vector<float> kv_norm;    // [hd]
  std::vector<float> sinks;      // [H]
  WeightView wo_a, wo_b;         // {H·hd/G, G·R} (rows g·R.. belong to group g), {G·R, D}
  CompressorWeights comp;        // ratio > 0, d = hd
  // Lightning indexer (§4.5, ratio 4)
  WeightView idx_q_b, idx_proj;  // {q_lora, nh·di}, {D, nh}
  CompressorWeights idx_comp;    // d = di, ratio 4
  // MoE (§4.6)
  WeightView gate_inp;           // {D, E}
  std::vector<float> probs_bias; // [E], score-routed layers (may be empty)
  std::vector<int32_t> tid2eid;  // [V][K], hash layers
  WeightView gate_exps, up_exps, down_exps;  // {D, I, E}, {D, I, E}, {I, D, E}
  WeightView gate_shexp, up_shexp, down_shexp;
};

// Scratch of one forward call: one block sized by the plan (scratch_bytes), carved in 16-byte
// aligned pieces. Taking more than planned is an internal error, never a silent allocation.
class Arena {
 public:
  // Carves the buffer (kept by the state, so decode steps neither allocate nor clear it); it
  // grows to the plan's size once.
  Arena(std::vector<float> &buf, uint64_t n_floats) : buf_(buf) {
    if (buf_.size() < n_floats) buf_.resize(static_cast<size_t>(n_floats));
  }
  float *take(int64_t n) {
    const size_t need = (static_cast<size_t>(n) + 3) & ~size_t{3};
    if (used_ + need > buf_.size())
      fail(DSV4_ERR_INTERNAL, "deepseek4 scratch plan too small: " + std::to_string((used_ + need) * 4) + " bytes needed, " +
                                  std::to_string(buf_.size() * 4) + " planned");
    float *p = buf_.data() + used_;
    used_ += need;
    return p;
  }
  template <class T>
  T *take_as(int64_t n) {
    return reinterpret_cast<T *>(take((n * static_cast<int64_t>(sizeof(T)) + 3) / 4));
  }
  size_t mark() const { return used_; }
  void release(size_t mark) { used_ = mark; }

 private:
  std::vector<float> &buf_;
  size_t used_ = 0;
};

// Everything one forward call shares between the sub-layers.
struct Ctx {
  const Deepseek4Config &c;
  const Backend &be;
  const ForwardOptions &opts;
  Arena &arena;
  uint32_t numerics;       // V4Numerics bits
  float *act_buf;          // [T][max input width] for the FP8 activation rounding
  ThreadPool *pool() const { return opts.pool; }
  bool unfused() const { return opts.unfused; }
};

// y [T][N] = W x. `fp8_site`: an FP8/FP4 linear of the official model, whose input DeepSeek's
// numerics round to FP8 (kV4ActFp8, §3.7).
void linear(const Ctx &cx, const WeightView &w, const float *x, int64_t T, float *y, bool fp8_site);

// FP8 rounding of a row in blocks of `block` (§3.5), a shorter last block being its own block.
void fake_quant_fp8_blocks(float *x, int64_t n, int64_t block);

// The attention sub-layer (§4.3–§4.5): x [T][D] (normalised HC_PRE output) -> out [T][D].
// Appends the batch to the state of its sequences; snapshots are saved on the way.
void attention_sublayer(const Ctx &cx, int64_t il, const Layer &L, Deepseek4State &st, const Batch &b,
                        const float *x, float *out);

// Scratch (floats) the attention sub-layer takes for T tokens.
uint64_t attention_scratch_floats(const Deepseek4Config &c, const StateOptions &o, int64_t T);

}  // namespace dsv4::v4
