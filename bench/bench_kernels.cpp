// CPU matmul kernels (src/backend/cpu/kernels.h) per weight type × kernel family × path, through
// CpuBackend::matmul (activation rounding included on the int8 path):
//   decode/<type>/<isa>/<exact|int8>/threads:N   one token × a 4096×4096 matrix; the matrix is
//       one of several copies totalling ≥ 160 MB, cycled, so weights come from DRAM, not L3.
//       Rate: bytes_per_second = weight bytes read per second.
//   prefill/<type>/<isa>/<mode>/tokens:T/threads:N   T tokens × one 4096×4096 matrix.
//       Rate: GFLOP/s = 2·T·4096·4096 per second.
//   kernel/<type>/<isa>/<mode>/tokens:T   the kernel alone (dot_f32_xN / dot_q8_xN), one thread, on
//       64 rows × 4096 that stay in L2: the compute ceiling, free of DRAM. Rates: bytes_per_second
//       (weights) and GFLOP/s.
// Families the CPU lacks are not registered. Filter with --benchmark_filter (e.g. 'q4_k/avx512').
#include <benchmark/benchmark.h>

#include <cstdint>
#include <cstring>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "backend/backend.h"
#include "backend/cpu/cpu_features.h"
#include "backend/cpu/kernels.h"
#include "backend/cpu/matmul_options.h"
#include "backend/cpu/packed.h"
#include "backend/cpu/thread_pool.h"
#include "format/ggml_type.h"
#include "quant/quant.h"

namespace {

using namespace dsv4;

constexpr int64_t kN = 4096, kRows = 4096;
constexpr uint64_t kDecodeBytes = 160ull << 20;

struct TypeData {
  uint32_t type = 0;
  uint64_t matrix_bytes = 0;
  std::vector<std::vector<uint8_t>> copies;  // decode: cycled; prefill uses copies[0]
  std::vector<std::vector<uint8_t>> packed;  // the copies repacked (packed.h), 64 bytes of slack each
  uint64_t group_bytes = 0;
};

// 64-byte aligned start of a buffer allocated with 64 bytes of slack.
const uint8_t *aligned64(const std::vector<uint8_t> &v) {
  return v.data() + (64 - reinterpret_cast<uintptr_t>(v.data()) % 64) % 64;
}

void ensure_packed(TypeData &d) {
  if (!d.packed.empty()) return;
  const cpu::PackedLayout &l = *cpu::packed_layout(d.type);
  d.group_bytes = l.group_bytes(kN);
  const uint64_t rb = d.matrix_bytes / kRows;
  for (const auto &c : d.copies) {
    std::vector<uint8_t> p(d.group_bytes * (kRows / cpu::kPackRows) + 64);
    auto *dst = const_cast<uint8_t *>(aligned64(p));
    for (int64_t g = 0; g < kRows / cpu::kPackRows; ++g)
      l.pack(c.data() + g * cpu::kPackRows * rb, rb, cpu::kPackRows, kN, dst + g * d.group_bytes);
    d.packed.push_back(std::move(p));
  }
}

// One type's matrices at a time (benchmarks run in registration order, grouped by type).
TypeData &data_for(uint32_t type) {
  static TypeData d;
  if (d.type == type && !d.copies.empty()) return d;
  d = TypeData{};
  d.type = type;
  const TypeInfo &ti = *type_info(type);
  const uint64_t rb = row_bytes(ti, kN);
  d.matrix_bytes = rb * kRows;
  std::vector<uint8_t> m(d.matrix_bytes);
  std::mt19937 g(42);
  std::normal_distribution<float> nd(0.0f, 1.0f);
  std::vector<float> src(kN);
  for (int64_t r = 0; r < kRows; ++r) {
    for (auto &v : src) v = nd(g) * 0.05f;
    quantize_row(type, src.data(), m.data() + r * rb, kN);
  }
  const uint64_t n_copies = std::max<uint64_t>(2, (kDecodeBytes + d.matrix_bytes - 1) / d.matrix_bytes);
  for (uint64_t i = 0; i < n_copies; ++i) d.copies.push_back(m);
  return d;
}

WeightView view_of(const TypeData &d, size_t copy, bool packed = false) {
  WeightView w;
  w.type = d.type;
  w.ne0 = kN;
  w.ne1 = kRows;
  w.row_bytes = d.matrix_bytes / kRows;
  w.matrix_bytes = d.matrix_bytes;
  w.data = d.copies[copy].data();
  w.name = "bench";
  if (packed) {
    w.packed = aligned64(d.packed[copy]);
    w.packed_group_bytes = d.group_bytes;
    w.packed_matrix_bytes = d.group_bytes * (kRows / cpu::kPackRows);
  }
  return w;
}

std::vector<float> random_acts(int64_t T) {
  std::vector<float> x(static_cast<size_t>(T * kN));
  std::mt19937 g(7);
  std::normal_distribution<float> nd(0.0f, 1.0f);
  for (auto &v : x) v = nd(g);
  return x;
}

// packed: the weights repacked at load (packed.h), read by the packed kernel.
void bm_decode(benchmark::State &state, uint32_t type, Isa isa, MatmulMode mode, int threads, bool packed) {
  TypeData &d = data_for(type);
  if (packed) ensure_packed(d);
  ThreadPool pool(threads);
  const MatmulScope scope(MatmulOptions{isa, mode});
  const auto x = random_acts(1);
  std::vector<float> y(kRows);
  size_t i = 0;
  for (auto _ : state) {
    cpu_backend().matmul(view_of(d, i, packed), ConstRows{x.data(), 1, kN}, Rows{y.data(), 1, kRows}, &pool);
    benchmark::DoNotOptimize(y.data());
    i = (i + 1) % d.copies.size();
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * d.matrix_bytes));
}

void bm_prefill(benchmark::State &state, uint32_t type, Isa isa, MatmulMode mode, int threads, int64_t T,
                bool packed) {
  TypeData &d = data_for(type);
  if (packed) ensure_packed(d);
  ThreadPool pool(threads);
  const MatmulScope scope(MatmulOptions{isa, mode});
  const auto x = random_acts(T);
  std::vector<float> y(static_cast<size_t>(T * kRows));
  for (auto _ : state) {
    cpu_backend().matmul(view_of(d, 0, packed), ConstRows{x.data(), T, kN}, Rows{y.data(), T, kRows}, &pool);
    benchmark::DoNotOptimize(y.data());
  }
  state.counters["GFLOP/s"] = benchmark::Counter(2.0 * T * kN * kRows / 1e9, benchmark::Counter::kIsIterationInvariantRate);
}

void bm_kernel(benchmark::State &state, uint32_t type, Isa isa, MatmulMode mode, int64_t T) {
  constexpr int64_t kRowsL2 = 64;
  TypeData &d = data_for(type);
  const cpu::TypeKernels *k = cpu::type_kernels(type, isa);
  const uint64_t rb = d.matrix_bytes / kRows;
  const auto x = random_acts(T);
  const bool q8 = mode == MatmulMode::kInt8 && k->act != cpu::ActFormat::kF32;
  const size_t stride = cpu::act_bytes(k->act, kN);
  std::vector<uint8_t> buf(stride * static_cast<size_t>(T) + 64);
  uint8_t *base = buf.data() + (64 - reinterpret_cast<uintptr_t>(buf.data()) % 64) % 64;
  std::vector<const float *> xs;
  std::vector<const void *> xq;
  for (int64_t t = 0; t < T; ++t) {
    xs.push_back(x.data() + t * kN);
    if (q8) cpu::quantize_act(k->act, x.data() + t * kN, base + stride * t, kN, isa);
    xq.push_back(base + stride * t);
  }
  std::vector<float> out(static_cast<size_t>(T));
  const uint8_t *w = d.copies[0].data();
  for (auto _ : state) {
    for (int64_t r = 0; r < kRowsL2; ++r) {
      if (q8) k->dot_q8_xN(w + r * rb, xq.data(), T, kN, out.data());
      else k->dot_f32_xN(w + r * rb, xs.data(), T, kN, out.data());
    }
    benchmark::DoNotOptimize(out.data());
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * rb * kRowsL2));
  state.counters["GFLOP/s"] =
      benchmark::Counter(2.0 * T * kN * kRowsL2 / 1e9, benchmark::Counter::kIsIterationInvariantRate);
}

}  // namespace

int main(int argc, char **argv) {
  const uint32_t types[] = {GGML_Q4_K, GGML_Q6_K, GGML_Q8_0, GGML_Q4_0, GGML_MXFP4, GGML_BF16, GGML_F32,
                            GGML_F16,  GGML_Q4_1, GGML_Q5_0, GGML_Q5_1, GGML_Q2_K,  GGML_Q3_K, GGML_Q5_K};
  for (uint32_t t : types)
    for (Isa isa : {Isa::kScalar, Isa::kAvx2, Isa::kAvx512}) {
      if (!cpu_features().has(isa)) continue;
      const bool f32_act = t == GGML_F32 || t == GGML_F16 || t == GGML_BF16;
      for (MatmulMode mode : {MatmulMode::kExact, MatmulMode::kInt8}) {
        if (f32_act && mode == MatmulMode::kInt8) continue;  // same kernels as the exact path
        const std::string base = std::string(type_info(t)->name) + "/" + isa_name(isa) + "/" +
                                 (mode == MatmulMode::kExact ? "exact" : "int8");
        // The packed layout where its kernel runs (int8 path, AVX-512).
        const bool packable = mode == MatmulMode::kInt8 && isa == Isa::kAvx512 && cpu::packed_layout(t) &&
                              cpu::packed_layout(t)->gemv_avx512;
        for (bool packed : {false, true}) {
          if (packed && !packable) continue;
          const std::string name = base + (packed ? "/packed" : "");
          for (int threads : {1, 2})
            benchmark::RegisterBenchmark(("decode/" + name + "/threads:" + std::to_string(threads)).c_str(),
                                         bm_decode, t, isa, mode, threads, packed)
                ->UseRealTime()
                ->Unit(benchmark::kMillisecond);
          const std::vector<int64_t> token_counts = isa == Isa::kScalar ? std::vector<int64_t>{64}
                                                                        : std::vector<int64_t>{64, 256};
          for (int64_t T : token_counts)
            benchmark::RegisterBenchmark(("prefill/" + name + "/tokens:" + std::to_string(T) + "/threads:2").c_str(),
                                         bm_prefill, t, isa, mode, 2, T, packed)
                ->UseRealTime()
                ->Unit(benchmark::kMillisecond);
        }
        for (int64_t T : {1, 16})
          benchmark::RegisterBenchmark(("kernel/" + base + "/tokens:" + std::to_string(T)).c_str(), bm_kernel, t, isa,
                                       mode, T)
              ->Unit(benchmark::kMicrosecond);
      }
    }
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
