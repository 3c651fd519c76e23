// What the model maker writes for one tensor: name, shape, what kind of weight it is (which
// decides its type under a TypeMix) and how its values are drawn. Internal to src/model/maker.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace dsv4::maker {

enum class Role : uint8_t {
  kNorm,           // 1-D norm weight
  kEmbedding,      // token_embd
  kOutput,         // output head
  kMatrix,         // an ordinary projection
  kRoutedExperts,  // stacked routed-expert matrices {in, out, E}
  kRouter,         // ffn_gate_inp
  kBias,           // exp_probs_b: F32 under every mix
  kF32Param,       // hyper-connection / compressor / sink parameters: F32 under every mix
  kTokenMap,       // ffn_gate_tid2eid: I32
};

enum class InitKind : uint8_t {
  kNormal,        // mean + stddev · N(0, 1)
  kHalfNormal,    // mean + stddev · |N(0, 1)| (hc_*_scale: 0.5 + 0.5·|N|)
  kDistinctIds,   // each row: ne0 distinct integers in [0, id_range)
  kKvbK,          // attn_k_b: the k-part of a random kv_b_proj, transposed per head
  kKvbV,          // attn_v_b: the v-part of the same kv_b_proj
};

struct Init {
  InitKind kind = InitKind::kNormal;
  double mean = 0.0;
  double stddev = 1.0;
  int64_t id_range = 0;  // kDistinctIds
  // kKvbK / kKvbV: the kv_b_proj [H·(d_nope+d_v), kv_lora] both halves come from. Its rows are
  // drawn from streams keyed by `source` (blk.N.attn_kv_b.weight), so k_b and v_b agree.
  std::string source;
  int64_t d_nope = 0, d_v = 0, kv_lora = 0;
};

struct TensorPlan {
  std::string name;
  std::vector<int64_t> ne;  // ggml order, fastest first
  Role role = Role::kMatrix;
  Init init;
  uint32_t type = 0;  // ggml type, set by choose_type

  int64_t n_rows() const {
    int64_t r = 1;
    for (size_t i = 1; i < ne.size(); ++i) r *= ne[i];
    return r;
  }
  int64_t n_elements() const { return ne.empty() ? 0 : ne[0] * n_rows(); }
};

inline Init normal(double mean, double stddev) {
  Init i;
  i.mean = mean;
  i.stddev = stddev;
  return i;
}

// Constructors shared by the architecture planners (tensor_plan.cpp).
std::string blk(int64_t il, const char *rest);  // "blk.<il>.<rest>"
TensorPlan plan_matrix(std::string name, std::vector<int64_t> ne, Role role = Role::kMatrix);  // N(0, 1/ne0)
TensorPlan plan_norm(std::string name, int64_t n);                                            // 1 + N(0, 0.01)
TensorPlan plan_f32(std::string name, std::vector<int64_t> ne, Init init);  // F32 under every mix
// The routed experts (gate, up, down stacks of n_expert) and, when n_shared > 0, the shared
// expert of layer il, in the order both converters write them.
void append_expert_tensors(std::vector<TensorPlan> &t, int64_t il, int64_t n_embd, int64_t n_ff_exp,
                           int64_t n_expert, int64_t n_shared);
TensorPlan plan_embedding(int64_t n_embd, int64_t n_vocab);  // token_embd ~ N(0, 1)
// output ~ N(0, 4/D) as in ../shared/testdata, so logits are O(1)–O(10).
TensorPlan plan_output(int64_t n_embd, int64_t n_vocab);

}  // namespace dsv4::maker
