#include "golden/golden_util.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <stdexcept>

#include "common/testdata.h"
#include "runtime/model.h"
#include "runtime/session.h"

namespace dsv4::test {

std::unique_ptr<Model> load_testdata_model(const std::string &name) {
  return Model::load(testdata_path("models/" + name + ".gguf"), ModelLoadOptions{});
}

std::vector<float> run_logits(const Model &m, const std::vector<int32_t> &tokens, const RunOptions &r) {
  SessionOptions so;
  so.n_ctx = static_cast<int64_t>(tokens.size());
  so.n_threads = r.threads;
  so.cache_type = r.cache;
  so.unfused = r.unfused;
  so.n_batch = r.n_batch;
  so.v4_numerics = r.numerics;
  Session s(m, so);
  const int64_t n = static_cast<int64_t>(tokens.size()), step = r.chunk > 0 ? r.chunk : n;
  std::vector<float> out;
  std::vector<uint8_t> all(static_cast<size_t>(n), 1);
  for (int64_t i = 0; i < n; i += step) {
    const int64_t len = std::min(step, n - i);
    s.eval(tokens.data() + i, len, all.data());
    out.insert(out.end(), s.logits().begin(), s.logits().end());
  }
  return out;
}

Diff compare_rows(const float *a, const float *b, int64_t rows, int64_t cols) {
  Diff d;
  d.rows = rows;
  double num = 0, den = 0;
  for (int64_t r = 0; r < rows; ++r) {
    double rn = 0, rd = 0;
    int64_t am = 0, bm = 0;
    for (int64_t c = 0; c < cols; ++c) {
      const double x = a[r * cols + c], y = b[r * cols + c];
      d.max_abs = std::max(d.max_abs, std::fabs(x - y));
      rn += (x - y) * (x - y);
      rd += y * y;
      if (a[r * cols + c] > a[r * cols + am]) am = c;
      if (b[r * cols + c] > b[r * cols + bm]) bm = c;
    }
    num += rn;
    den += rd;
    d.worst_row_rel_l2 = std::max(d.worst_row_rel_l2, std::sqrt(rn / std::max(rd, 1e-30)));
    d.argmax_agree += am == bm;
  }
  d.rel_l2 = std::sqrt(num / std::max(den, 1e-30));
  return d;
}

std::string describe(const Diff &d) {
  char buf[160];
  std::snprintf(buf, sizeof buf, "max_abs %.3g rel_l2 %.3g worst_row %.3g argmax %lld/%lld", d.max_abs, d.rel_l2,
                d.worst_row_rel_l2, static_cast<long long>(d.argmax_agree), static_cast<long long>(d.rows));
  return buf;
}

std::vector<TraceRecord> read_trace(const std::string &path) {
  const std::vector<uint8_t> b = read_bytes(path);
  std::vector<TraceRecord> out;
  size_t p = 0;
  auto take = [&](void *dst, size_t n) {
    if (p + n > b.size()) throw std::runtime_error("truncated trace " + path);
    std::memcpy(dst, b.data() + p, n);
    p += n;
  };
  while (p < b.size()) {
    TraceRecord r;
    uint32_t len = 0, ndim = 0;
    take(&len, 4);
    r.name.resize(len);
    take(r.name.data(), len);
    take(&ndim, 4);
    r.dims.resize(ndim);
    int64_t count = 1;
    for (uint32_t i = 0; i < ndim; ++i) {
      take(&r.dims[i], 8);
      count *= r.dims[i];
    }
    r.data.resize(static_cast<size_t>(count));
    take(r.data.data(), static_cast<size_t>(count) * 4);
    out.push_back(std::move(r));
  }
  return out;
}

}  // namespace dsv4::test
