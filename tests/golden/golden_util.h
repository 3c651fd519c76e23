// Shared helpers of the golden tests: running a model, logits comparison and trace files.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "model/arch/arch.h"

namespace dsv4 {
class Model;
}

namespace dsv4::test {

// ../shared/testdata models/<name>.gguf
std::unique_ptr<Model> load_testdata_model(const std::string &name);

struct RunOptions {
  int64_t chunk = 0;  // tokens per eval call; 0 = one call
  int threads = 2;
  CacheType cache = CacheType::kF32;
  bool unfused = false;
  int64_t n_batch = 512;
  uint32_t numerics = 0;
};

// Logits of every position: tokens run through a fresh Session (n_ctx = tokens.size()),
// fed r.chunk tokens per eval call.
std::vector<float> run_logits(const Model &m, const std::vector<int32_t> &tokens, const RunOptions &r = {});

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
