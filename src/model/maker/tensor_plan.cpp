// Shared constructors of TensorPlan for the architecture planners.
#include "model/maker/tensor_plan.h"

#include <cmath>
#include <string>

namespace dsv4::maker {

std::string blk(int64_t il, const char *rest) { return "blk." + std::to_string(il) + "." + rest; }

void append_expert_tensors(std::vector<TensorPlan> &t, int64_t il, int64_t D, int64_t I, int64_t E, int64_t n_shared) {
  t.push_back(plan_matrix(blk(il, "ffn_gate_exps.weight"), {D, I, E}, Role::kRoutedExperts));
  t.push_back(plan_matrix(blk(il, "ffn_up_exps.weight"), {D, I, E}, Role::kRoutedExperts));
  t.push_back(plan_matrix(blk(il, "ffn_down_exps.weight"), {I, D, E}, Role::kRoutedExperts));
  if (n_shared > 0) {
    const int64_t S = I * n_shared;
    t.push_back(plan_matrix(blk(il, "ffn_gate_shexp.weight"), {D, S}));
    t.push_back(plan_matrix(blk(il, "ffn_up_shexp.weight"), {D, S}));
    t.push_back(plan_matrix(blk(il, "ffn_down_shexp.weight"), {S, D}));
  }
}

TensorPlan plan_matrix(std::string name, std::vector<int64_t> ne, Role role) {
  TensorPlan t;
  t.init = normal(0.0, 1.0 / std::sqrt(static_cast<double>(ne[0])));
  t.name = std::move(name);
  t.ne = std::move(ne);
  t.role = role;
  return t;
}

TensorPlan plan_norm(std::string name, int64_t n) {
  TensorPlan t;
  t.name = std::move(name);
  t.ne = {n};
  t.role = Role::kNorm;
  t.init = normal(1.0, 0.1);  // variance 0.01
  return t;
}

TensorPlan plan_f32(std::string name, std::vector<int64_t> ne, Init init) {
  TensorPlan t;
  t.name = std::move(name);
  t.ne = std::move(ne);
  t.role = Role::kF32Param;
  t.init = std::move(init);
  return t;
}

TensorPlan plan_embedding(int64_t D, int64_t V) {
  TensorPlan t = plan_matrix("token_embd.weight", {D, V}, Role::kEmbedding);
  t.init = normal(0.0, 1.0);
  return t;
}

TensorPlan plan_output(int64_t D, int64_t V) {
  TensorPlan t = plan_matrix("output.weight", {D, V}, Role::kOutput);
  t.init = normal(0.0, 2.0 / std::sqrt(static_cast<double>(D)));
  return t;
}

}  // namespace dsv4::maker
