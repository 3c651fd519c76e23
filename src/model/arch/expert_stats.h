// How often the router chose each routed expert, per layer: the numbers behind the CLI's
// expert histogram, where a layer whose tokens all go to a few experts ("expert collapse")
// shows at a glance. A forward pass adds to it when ForwardOptions::expert_stats is set.
#pragma once

#include <cstdint>
#include <vector>

namespace dsv4 {

class ExpertStats {
 public:
  ExpertStats(int64_t n_layer, int64_t n_expert)
      : n_layer_(n_layer), n_expert_(n_expert), counts_(static_cast<size_t>(n_layer * n_expert), 0) {}

  // Counts n routing choices (expert ids) of one layer; ids outside [0, n_expert) are ignored
  // so a statistic can never corrupt memory.
  void add(int64_t layer, const int32_t *experts, int64_t n) {
    if (layer < 0 || layer >= n_layer_) return;
    uint64_t *row = counts_.data() + layer * n_expert_;
    for (int64_t i = 0; i < n; ++i)
      if (experts[i] >= 0 && experts[i] < n_expert_) ++row[experts[i]];
  }

  void reset() { counts_.assign(counts_.size(), 0); }
  int64_t n_layer() const { return n_layer_; }
  int64_t n_expert() const { return n_expert_; }
  // [n_layer][n_expert], row-major; dense layers stay zero.
  const std::vector<uint64_t> &counts() const { return counts_; }

 private:
  int64_t n_layer_;
  int64_t n_expert_;
  std::vector<uint64_t> counts_;
};

}  // namespace dsv4
