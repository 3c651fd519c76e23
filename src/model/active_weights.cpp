#include "model/active_weights.h"

#include <string>

#include "format/gguf.h"

namespace dsv4 {
ActiveWeights active_weights_per_token(const gguf::File &file) {
  const std::string arch = file.get_string("general.architecture").value_or("");
  const double n_expert = static_cast<double>(file.get_int(arch + ".expert_count").value_or(0));
  const double n_used = static_cast<double>(file.get_int(arch + ".expert_used_count").value_or(0));
  const double routed_share = n_expert > 0 ? n_used / n_expert : 0.0;
  const bool tied = file.find_tensor("output.weight") == nullptr;
  double bytes = 0, params = 0;
  for (const gguf::TensorInfo &t : file.tensors()) {
    const std::string &n = t.name;
    if (t.n_dims < 2) continue;                          // norms, biases, scales
    if (n.find("tid2eid") != std::string::npos) continue; // a lookup table, not a matmul
    if (n == "token_embd.weight" && !tied) continue;     // one row per token
    double share = 1.0;
    if (n.find("_exps.") != std::string::npos) share = routed_share;
    bytes += static_cast<double>(t.nbytes) * share;
    params += static_cast<double>(t.n_elements()) * share;
  }
  return ActiveWeights{static_cast<uint64_t>(bytes), static_cast<uint64_t>(params)};
}

}  // namespace dsv4
