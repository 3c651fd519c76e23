// Shared helpers of the golden tests: logits comparison and trace files.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace dsv4::test {

struct Diff {
  double max_abs = 0.0;
  double rel_l2 = 0.0;   // ||a - b|| / ||b|| over everything
  double worst_row_rel_l2 = 0.0;
  int64_t argmax_agree = 0;
  int64_t rows = 0;
};

// a, b: [rows][cols]
Diff compare_rows(const float *a, const float *b, int64_t rows, int64_t cols);
std::string describe(const Diff &d);

struct TraceRecord {
  std::string name;
  std::vector<int64_t> dims;
  std::vector<float> data;
};
// Format: ../shared/testdata/README.md "Per-layer traces".
std::vector<TraceRecord> read_trace(const std::string &path);

}  // namespace dsv4::test
