// Compiled with -ffp-contract=off (sources.cmake): mean + stddev·z must round the same way in
// every build, or the same seed would give different files.
#include "model/maker/tensor_data.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <exception>
#include <mutex>

#include "backend/cpu/thread_pool.h"
#include "common/error.h"
#include "format/ggml_type.h"
#include "format/gguf.h"
#include "model/maker/random.h"
#include "quant/quant.h"

namespace dsv4::maker {

namespace {

constexpr uint64_t kChunkBytes = uint64_t{32} << 20;

// The unit of generation: one row, except attn_k_b, whose rows are columns of kv_b_proj and are
// made one head (kv_lora rows) at a time.
int64_t rows_per_unit(const TensorPlan &t) { return t.init.kind == InitKind::kKvbK ? t.ne[1] : 1; }

// Per-thread scratch, reused across units.
struct Scratch {
  std::vector<float> values;  // one unit
  std::vector<float> source;  // kKvbK: the head's k rows of kv_b_proj
  std::vector<int32_t> ids;   // kDistinctIds: the expert list being shuffled
  std::vector<int32_t> row;   // kDistinctIds: one output row
};

class UnitFiller {
 public:
  UnitFiller(const TensorPlan &t, uint64_t seed)
      : t_(t), seed_(seed), name_hash_(hash_name(t.name)),
        source_hash_(hash_name(t.init.source.empty() ? t.name : t.init.source)) {}

  // Values of unit u (rows_per_unit(t) rows of ne0) into out.
  void fill(int64_t u, float *out, Scratch &s) const {
    const Init &in = t_.init;
    const int64_t ne0 = t_.ne[0];
    switch (in.kind) {
      case InitKind::kNormal: draw(name_hash_, u, ne0, out, false); return;
      case InitKind::kHalfNormal: draw(name_hash_, u, ne0, out, true); return;
      case InitKind::kKvbV: {
        // Row (j, h) of {kv_lora, d_v, H} is kv_b_proj row h·(nope+v) + nope + j.
        const int64_t j = u % in.d_v, h = u / in.d_v;
        draw(source_hash_, h * (in.d_nope + in.d_v) + in.d_nope + j, ne0, out, false);
        return;
      }
      case InitKind::kKvbK: {
        // Head h of {nope, kv_lora, H}: element (j, k) is kv_b_proj[h·(nope+v) + j][k].
        const int64_t c = in.kv_lora, h = u;
        s.source.resize(static_cast<size_t>(in.d_nope * c));
        for (int64_t j = 0; j < in.d_nope; ++j)
          draw(source_hash_, h * (in.d_nope + in.d_v) + j, c, s.source.data() + j * c, false);
        for (int64_t k = 0; k < c; ++k)
          for (int64_t j = 0; j < in.d_nope; ++j) out[k * in.d_nope + j] = s.source[static_cast<size_t>(j * c + k)];
        return;
      }
      case InitKind::kDistinctIds: break;
    }
    fail(DSV4_ERR_INTERNAL, "model maker: " + t_.name + " is not float-valued");
  }

  // Row u of a kDistinctIds tensor: ne0 distinct ids in [0, id_range) (partial Fisher–Yates).
  void fill_ids(int64_t u, int32_t *out, Scratch &s) const {
    const int64_t n = t_.init.id_range;
    s.ids.resize(static_cast<size_t>(n));
    for (int64_t i = 0; i < n; ++i) s.ids[static_cast<size_t>(i)] = static_cast<int32_t>(i);
    Rng rng(stream_seed(seed_, name_hash_, static_cast<uint64_t>(u)));
    for (int64_t i = 0; i < t_.ne[0]; ++i) {
      const int64_t j = i + static_cast<int64_t>(rng.next_below(static_cast<uint64_t>(n - i)));
      std::swap(s.ids[static_cast<size_t>(i)], s.ids[static_cast<size_t>(j)]);
      out[i] = s.ids[static_cast<size_t>(i)];
    }
  }

 private:
  void draw(uint64_t hash, int64_t stream, int64_t n, float *out, bool half) const {
    Rng rng(stream_seed(seed_, hash, static_cast<uint64_t>(stream)));
    const double mean = t_.init.mean, sd = t_.init.stddev;
    for (int64_t i = 0; i < n; ++i) {
      const double z = rng.next_normal();
      out[i] = static_cast<float>(mean + sd * (half ? std::fabs(z) : z));
    }
  }

  const TensorPlan &t_;
  uint64_t seed_, name_hash_, source_hash_;
};

// Runs fn(begin, end, scratch) over [0, n) on the pool; the first exception is rethrown here
// (a worker must not let one escape).
template <class F>
void run_parallel(ThreadPool *pool, int64_t n, F &&fn) {
  std::exception_ptr error;
  std::mutex error_mutex;
  parallel_for(pool, n, [&](int64_t begin, int64_t end) {
    try {
      Scratch s;
      fn(begin, end, s);
    } catch (...) {
      std::lock_guard<std::mutex> lock(error_mutex);
      if (!error) error = std::current_exception();
    }
  });
  if (error) std::rethrow_exception(error);
}

}  // namespace

uint64_t tensor_bytes(const TensorPlan &t) {
  return row_bytes(*type_info(t.type), static_cast<uint64_t>(t.ne[0])) * static_cast<uint64_t>(t.n_rows());
}

std::vector<float> tensor_values(const TensorPlan &t, uint64_t seed, int64_t row_begin, int64_t row_end) {
  const int64_t rpu = rows_per_unit(t), ne0 = t.ne[0];
  if (row_begin % rpu != 0 || row_end % rpu != 0 || row_begin > row_end || row_end > t.n_rows())
    fail(DSV4_ERR_INVALID_ARGUMENT, t.name + ": rows [" + std::to_string(row_begin) + ", " + std::to_string(row_end) +
                                        ") are not whole units of " + std::to_string(rpu) + " rows");
  std::vector<float> out(static_cast<size_t>((row_end - row_begin) * ne0));
  const UnitFiller filler(t, seed);
  Scratch s;
  for (int64_t u = row_begin / rpu; u < row_end / rpu; ++u)
    filler.fill(u, out.data() + (u * rpu - row_begin) * ne0, s);
  return out;
}

void write_tensor_data(gguf::Writer &w, const TensorPlan &t, uint64_t seed, ThreadPool *pool,
                       const std::function<void(uint64_t)> &after_chunk) {
  const TypeInfo &ti = *type_info(t.type);
  const int64_t ne0 = t.ne[0], rpu = rows_per_unit(t), n_units = t.n_rows() / rpu;
  const uint64_t rbytes = row_bytes(ti, static_cast<uint64_t>(ne0)), ubytes = rbytes * static_cast<uint64_t>(rpu);
  const int64_t units_per_chunk = std::max<int64_t>(1, static_cast<int64_t>(kChunkBytes / std::max<uint64_t>(ubytes, 1)));
  std::vector<uint8_t> buf(static_cast<size_t>(std::min(n_units, units_per_chunk)) * ubytes);
  const UnitFiller filler(t, seed);
  const bool ids = t.init.kind == InitKind::kDistinctIds;
  if (ids && t.type != GGML_I32) fail(DSV4_ERR_INTERNAL, "model maker: " + t.name + " must be I32");

  w.begin_tensor(t.name);
  for (int64_t first = 0; first < n_units; first += units_per_chunk) {
    const int64_t n = std::min(units_per_chunk, n_units - first);
    run_parallel(pool, n, [&](int64_t begin, int64_t end, Scratch &s) {
      s.values.resize(static_cast<size_t>(rpu * ne0));
      for (int64_t u = begin; u < end; ++u) {
        uint8_t *dst = buf.data() + static_cast<uint64_t>(u) * ubytes;
        if (ids) {
          s.row.resize(static_cast<size_t>(ne0));
          filler.fill_ids(first + u, s.row.data(), s);
          std::memcpy(dst, s.row.data(), rbytes);
          continue;
        }
        filler.fill(first + u, s.values.data(), s);
        for (int64_t r = 0; r < rpu; ++r) quantize_row(t.type, s.values.data() + r * ne0, dst + r * rbytes, ne0);
      }
    });
    w.append(buf.data(), static_cast<size_t>(n) * ubytes);
    if (after_chunk) after_chunk(static_cast<uint64_t>(n) * ubytes);
  }
  w.end_tensor();
}

}  // namespace dsv4::maker
