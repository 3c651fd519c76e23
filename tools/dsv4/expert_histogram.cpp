// The expert histogram `dsv4 run` and `dsv4 chat` print on stderr at the end.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include "generation_cli.h"

namespace dsv4::cli {

namespace {

// At most this many columns per layer: wider expert sets are summed in adjacent groups.
constexpr int64_t kMaxColumns = 64;
const char *const kBars[] = {"▁", "▂", "▃", "▄", "▅", "▆", "▇", "█"};

}  // namespace

void print_expert_histogram(dsv4_session *session) {
  int64_t n_layer = 0, n_expert = 0;
  size_t need = 0;
  const dsv4_status probe = dsv4_session_expert_counts(session, nullptr, 0, &need, &n_layer, &n_expert);
  if (probe != DSV4_ERR_BUFFER_TOO_SMALL) check(probe);
  if (need == 0 || n_expert == 0) return;  // no routed experts
  std::vector<uint64_t> counts(need);
  check(dsv4_session_expert_counts(session, counts.data(), counts.size(), &need, nullptr, nullptr));

  const int64_t group = (n_expert + kMaxColumns - 1) / kMaxColumns;
  std::fprintf(stderr, "expert routing, per layer: one bar per %s (height: share of the layer's busiest%s, "
               "'.' unused), experts used, busiest expert's share, effective experts = exp(entropy)\n",
               group > 1 ? (std::to_string(group) + " experts").c_str() : "expert", group > 1 ? " column" : "");
  for (int64_t l = 0; l < n_layer; ++l) {
    const uint64_t *row = counts.data() + l * n_expert;
    uint64_t total = 0, busiest = 0;
    int64_t used = 0;
    for (int64_t e = 0; e < n_expert; ++e) {
      total += row[e];
      busiest = std::max(busiest, row[e]);
      used += row[e] > 0;
    }
    if (total == 0) continue;  // a dense layer (or nothing evaluated yet)
    double entropy = 0.0;
    for (int64_t e = 0; e < n_expert; ++e)
      if (row[e] > 0) {
        const double p = static_cast<double>(row[e]) / static_cast<double>(total);
        entropy -= p * std::log(p);
      }
    std::vector<uint64_t> columns;
    for (int64_t e = 0; e < n_expert; e += group) {
      uint64_t sum = 0;
      for (int64_t k = e; k < std::min(n_expert, e + group); ++k) sum += row[k];
      columns.push_back(sum);
    }
    const uint64_t top = *std::max_element(columns.begin(), columns.end());
    std::string bars;
    for (uint64_t c : columns) {
      if (c == 0) {
        bars += ".";
        continue;
      }
      const int level = static_cast<int>(std::ceil(8.0 * static_cast<double>(c) / static_cast<double>(top)));
      bars += kBars[std::clamp(level, 1, 8) - 1];
    }
    std::fprintf(stderr, "  layer %3lld |%s| %lld/%lld used, busiest %.1f%%, effective %.1f\n",
                 static_cast<long long>(l), bars.c_str(), static_cast<long long>(used),
                 static_cast<long long>(n_expert), 100.0 * static_cast<double>(busiest) / static_cast<double>(total),
                 std::exp(entropy));
  }
}

}  // namespace dsv4::cli
