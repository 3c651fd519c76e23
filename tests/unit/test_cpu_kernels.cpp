// The CPU kernel tables (src/backend/cpu/kernels.h) against the scalar references, for every
// weight type × every kernel family this CPU runs × both paths, on random weights and random
// activations; the matmul built on them (thread-count independence, int8 mode end to end on a
// golden model). Fails when the CPU has a family whose kernels did not run.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "backend/backend.h"
#include "unit/test_kernel_util.h"
#include "backend/cpu/cpu_features.h"
#include "backend/cpu/kernels.h"
#include "backend/cpu/matmul_options.h"
#include "backend/cpu/thread_pool.h"
#include "backend/cpu/vec.h"
#include "common/error.h"
#include "common/testdata.h"
#include "format/ggml_type.h"
#include "golden/golden_util.h"
#include "quant/float_conv.h"
#include "quant/quant.h"
#include "runtime/model.h"
#include "runtime/session.h"

namespace dsv4::test {
namespace {

using cpu::ActFormat;
using cpu::TypeKernels;

const uint32_t kTypes[] = {GGML_Q4_K, GGML_Q6_K, GGML_Q8_0, GGML_Q4_0, GGML_MXFP4, GGML_BF16, GGML_F32,
                           GGML_F16,  GGML_Q4_1, GGML_Q5_0, GGML_Q5_1, GGML_Q2_K,  GGML_Q3_K, GGML_Q5_K};

using namespace kernel_util;

// Row lengths: several multiples of the block (an odd number of 32-blocks included).
std::vector<int64_t> lengths(uint32_t t) {
  const uint32_t bs = type_info(t)->block_size;
  if (bs == 1) return {1, 7, 16, 17, 33, 100, 256, 1027};
  if (bs == 32) return {32, 96, 256, 544, 2080};
  return {256, 768, 2048};
}

// variant -> number of checks
std::map<std::string, int> g_ran;
void record(uint32_t t, const char *mode, Isa isa) { ++g_ran[std::string(tname(t)) + " " + mode + " " + isa_name(isa)]; }

void check_all_ran(const char *mode) {
  std::printf("[kernels] %s path variants run:\n", mode);
  for (uint32_t t : kTypes) {
    std::string line;
    for (Isa i : {Isa::kScalar, Isa::kAvx2, Isa::kAvx512}) {
      const auto it = g_ran.find(std::string(tname(t)) + " " + mode + " " + isa_name(i));
      if (it != g_ran.end()) line += std::string(" ") + isa_name(i) + "(" + std::to_string(it->second) + ")";
    }
    std::printf("  %-6s%s\n", tname(t), line.c_str());
    for (Isa i : {Isa::kAvx2, Isa::kAvx512})
      if (cpu_features().has(i))
        EXPECT_TRUE(g_ran.count(std::string(tname(t)) + " " + mode + " " + isa_name(i)))
            << "CPUID reports " << isa_name(i) << " but the " << isa_name(i) << " " << mode << " kernel of "
            << tname(t) << " did not run";
  }
}

TEST(CpuKernels, Features) {
  std::printf("[kernels] cpu: %s\n", describe_cpu_features().c_str());
  std::printf("[kernels] %-6s %-7s %-8s %-8s %-8s\n", "type", "act", "scalar", "avx2", "avx512");
  for (uint32_t t : kTypes) {
    std::string cells;
    for (Isa i : {Isa::kScalar, Isa::kAvx2, Isa::kAvx512}) {
      const TypeKernels *k = cpu::type_kernels(t, i);
      ASSERT_NE(k, nullptr);
      char buf[40];
      std::snprintf(buf, sizeof buf, " %-3s/%-4s", isa_name(k->isa_f32), isa_name(k->isa_q8));
      cells += cpu_features().has(i) ? buf : " (n/a)   ";
    }
    std::printf("[kernels] %-6s %-7s%s\n", tname(t), cpu::act_name(cpu::type_kernels(t, Isa::kScalar)->act),
                cells.c_str());
  }
  EXPECT_EQ(cpu::type_kernels(GGML_I32, Isa::kScalar), nullptr);
  EXPECT_EQ(cpu::type_kernels(GGML_IQ2_XS, Isa::kScalar), nullptr);
}

TEST(CpuKernels, IsaSelection) {
  std::string msg;
  EXPECT_EQ(resolve_isa(Isa::kScalar, &msg), Isa::kScalar);
  EXPECT_TRUE(msg.empty());
  EXPECT_EQ(resolve_isa(Isa::kAvx512, &msg), best_isa());
  EXPECT_EQ(msg.empty(), best_isa() == Isa::kAvx512);
  const char *old = std::getenv("DSV4_ISA");
  const std::string saved = old ? old : "";
  setenv("DSV4_ISA", "avx9000", 1);
  EXPECT_EQ(resolve_isa(Isa::kAuto, &msg), best_isa());
  EXPECT_NE(msg.find("avx9000"), std::string::npos) << msg;
  setenv("DSV4_ISA", "scalar", 1);
  EXPECT_EQ(resolve_isa(Isa::kAuto, &msg), Isa::kScalar);
  EXPECT_EQ(resolve_isa(Isa::kAvx2, &msg), cpu_features().has(Isa::kAvx2) ? Isa::kAvx2 : Isa::kScalar);
  if (old) setenv("DSV4_ISA", saved.c_str(), 1);
  else unsetenv("DSV4_ISA");
  Isa parsed;
  EXPECT_TRUE(parse_isa("avx512", &parsed));
  EXPECT_EQ(parsed, Isa::kAvx512);
  EXPECT_FALSE(parse_isa("AVX512", &parsed));
}

// Exact path: within f32 rounding of a float64 dot of the dequantized row; the scalar family
// bit-identical to dequantize_row + vec_dot; xN equal to the one-token kernel for every token.
TEST(CpuKernels, ExactPath) {
  std::mt19937 g(1234);
  for (uint32_t t : kTypes)
    for (int64_t n : lengths(t))
      for (int rep = 0; rep < 4; ++rep) {
        const bool raw = rep % 2 == 1;
        const auto row = random_row(g, t, n, raw);
        const auto w = dequant(t, row, n);
        constexpr int kTok = 11;
        std::vector<std::vector<float>> xs;
        std::vector<const float *> xp;
        for (int i = 0; i < kTok; ++i) xs.push_back(random_x(g, n));
        for (auto &x : xs) xp.push_back(x.data());
        for (Isa isa : isas_here()) {
          const TypeKernels *k = cpu::type_kernels(t, isa);
          ASSERT_EQ(k->isa_f32, isa) << tname(t);
          std::vector<float> outn(kTok);
          k->dot_f32_xN(row.data(), xp.data(), kTok, n, outn.data());
          for (int i = 0; i < kTok; ++i) {
            double ref = 0, mag = 0;
            for (int64_t j = 0; j < n; ++j) {
              ref += static_cast<double>(w[j]) * xs[i][j];
              mag += std::fabs(static_cast<double>(w[j]) * xs[i][j]);
            }
            const float one = k->dot_f32(row.data(), xs[i].data(), n);
            ASSERT_NEAR(one, ref, 1e-5 * mag + 1e-30) << tname(t) << " " << isa_name(isa) << " n=" << n;
            ASSERT_EQ(std::memcmp(&one, &outn[i], 4), 0)
                << tname(t) << " " << isa_name(isa) << " xN token " << i << ": " << one << " vs " << outn[i];
            if (isa == Isa::kScalar) {
              const float old = vec_dot(w.data(), xs[i].data(), n);
              ASSERT_EQ(std::memcmp(&one, &old, 4), 0) << tname(t) << " n=" << n;
            }
          }
          record(t, "exact", isa);
        }
      }
  check_all_ran("exact");
}

// Int8 path: the scalar reference within f32 rounding of a float64 dot of the dequantized row with
// the rounded activations; every family within 1e-5 (of Σ|w·a|) of the scalar reference; xN equal
// to the one-token kernel.
TEST(CpuKernels, Int8Path) {
  std::mt19937 g(99);
  for (uint32_t t : kTypes)
    for (int64_t n : lengths(t))
      for (int rep = 0; rep < 4; ++rep) {
        const bool raw = rep % 2 == 1;
        const auto row = random_row(g, t, n, raw);
        const auto w = dequant(t, row, n);
        const TypeKernels *ref = cpu::type_kernels(t, Isa::kScalar);
        const ActFormat f = ref->act;
        if (f == ActFormat::kF32) {
          // F32/F16/BF16 keep f32 activations: the int8 path is the exact path.
          for (Isa isa : isas_here()) {
            const TypeKernels *k = cpu::type_kernels(t, isa);
            ASSERT_EQ(k->dot_q8, nullptr);
            ASSERT_EQ(k->isa_q8, isa);
            record(t, "int8", isa);
          }
          continue;
        }
        ASSERT_EQ(n % cpu::act_block(f), 0);
        constexpr int kTok = 7;
        const size_t stride = cpu::act_bytes(f, n);
        AlignedBuf buf(stride * kTok);
        std::vector<const void *> xq;
        for (int i = 0; i < kTok; ++i) {
          const auto x = random_x(g, n);
          cpu::quantize_act(f, x.data(), buf.p + stride * i, n);
          xq.push_back(buf.p + stride * i);
        }
        for (int i = 0; i < kTok; ++i) {
          const auto a = act_values(f, buf.p + stride * i, n);
          double exact = 0, mag = 0;
          for (int64_t j = 0; j < n; ++j) {
            exact += static_cast<double>(w[j]) * a[j];
            mag += std::fabs(static_cast<double>(w[j]) * a[j]);
          }
          const float r = ref->dot_q8(row.data(), xq[i], n);
          // Q4_1/Q5_1 add m·s with s = fp16(d·Σq): that fp16 rounding is part of the recipe.
          const double slack = (t == GGML_Q4_1 || t == GGML_Q5_1) ? 1e-3 : 1e-5;
          ASSERT_NEAR(r, exact, slack * mag + 1e-30) << tname(t) << " reference n=" << n;
          for (Isa isa : isas_here()) {
            const TypeKernels *k = cpu::type_kernels(t, isa);
            ASSERT_EQ(k->isa_q8, isa) << tname(t);
            const float one = k->dot_q8(row.data(), xq[i], n);
            ASSERT_NEAR(one, r, 1e-5 * mag + 1e-30) << tname(t) << " " << isa_name(isa) << " n=" << n;
            float outn[kTok];
            k->dot_q8_xN(row.data(), xq.data(), kTok, n, outn);
            ASSERT_EQ(std::memcmp(&one, &outn[i], 4), 0) << tname(t) << " " << isa_name(isa) << " xN token " << i;
            record(t, "int8", isa);
          }
        }
      }
  check_all_ran("int8");
}

// Every family's activation rounding writes the same bytes as the scalar one, ties included.
TEST(CpuKernels, ActivationRoundingSameInEveryFamily) {
  std::mt19937 g(11);
  for (int64_t n : {256, 768, 32 * 7}) {
    std::vector<float> x = random_x(g, n);
    // Exact ties: a block whose largest value is 127 (Q8_0: id = 1) and one whose first largest is
    // −127 (Q8_K: iscale = 1), holding half-integers; and an all-zero block.
    for (int j = 0; j < 32; ++j) x[j] = (j == 5 ? 127.0f : static_cast<float>(j % 7) - 3.5f);
    if (n >= 256) {
      for (int j = 0; j < 256; ++j) x[j] = static_cast<float>(j % 11) - 5.5f;
      x[3] = -127.0f;
      x[40] = 127.0f;
    }
    for (int j = 64; j < 96 && j < n; ++j) x[j] = 0.0f;
    for (ActFormat f : {ActFormat::kQ8_0, ActFormat::kQ8_1, ActFormat::kQ8_K}) {
      if (n % cpu::act_block(f) != 0) continue;
      const size_t bytes = cpu::act_bytes(f, n);
      AlignedBuf ref(bytes);
      cpu::quantize_act(f, x.data(), ref.p, n, Isa::kScalar);
      for (Isa isa : isas_here()) {
        AlignedBuf got(bytes);
        std::memset(got.p, 0x5A, bytes);
        cpu::quantize_act(f, x.data(), got.p, n, isa);
        ASSERT_EQ(0, std::memcmp(ref.p, got.p, bytes)) << cpu::act_name(f) << " " << isa_name(isa) << " n=" << n;
        record(GGML_Q8_0, cpu::act_name(f), isa);
      }
    }
  }
  for (Isa i : {Isa::kAvx2, Isa::kAvx512})
    if (cpu_features().has(i))
      for (const char *f : {"q8_0", "q8_1", "q8_k"})
        EXPECT_TRUE(g_ran.count(std::string("q8_0 ") + f + " " + isa_name(i))) << f << " " << isa_name(i);
}

// The rounded activations hold exactly what quant.h's activation quantizers produce.
TEST(CpuKernels, ActivationLayout) {
  std::mt19937 g(7);
  for (int64_t n : {512, 768, 32 * 7})
  for (ActFormat f : {ActFormat::kQ8_0, ActFormat::kQ8_1, ActFormat::kQ8_K}) {
    if (n % cpu::act_block(f) != 0) continue;
    const auto x = random_x(g, n);
    AlignedBuf buf(cpu::act_bytes(f, n));
    std::memset(buf.p, 0xAB, cpu::act_bytes(f, n));
    cpu::quantize_act(f, x.data(), buf.p, n);
    const auto *qs = reinterpret_cast<const int8_t *>(buf.p);
    if (f == ActFormat::kQ8_K) {
      std::vector<BlockQ8_K> b(n / 256);
      quantize_row_q8_k_act(x.data(), b.data(), n);
      const auto *d = reinterpret_cast<const float *>(buf.p + n);
      const auto *bs = reinterpret_cast<const int16_t *>(buf.p + n + n / 64);
      for (int64_t i = 0; i < n; ++i) ASSERT_EQ(qs[i], b[i / 256].qs[i % 256]);
      for (int64_t i = 0; i < n / 256; ++i) ASSERT_EQ(d[i], b[i].d);
      for (int64_t i = 0; i < n / 16; ++i) ASSERT_EQ(bs[i], b[i / 16].bsums[i % 16]);
    } else {
      std::vector<BlockQ8_1> b1(n / 32);
      std::vector<BlockQ8_0> b0(n / 32);
      quantize_row_q8_0_act(x.data(), b0.data(), n);
      quantize_row_q8_1_act(x.data(), b1.data(), n);
      const int64_t N = padded128(n);
      const auto *dl = reinterpret_cast<const float *>(buf.p + N);
      for (int64_t i = 0; i < n; ++i) ASSERT_EQ(qs[q8_0_pos(i)], b0[i / 32].qs[i % 32]);
      for (int64_t i = n; i < N; ++i) ASSERT_EQ(qs[q8_0_pos(i)], 0);
      for (int64_t i = 0; i < n / 8; ++i) ASSERT_EQ(dl[i], fp16_to_f32(b0[i / 4].d));
      for (int64_t i = n / 8; i < N / 8; ++i) ASSERT_EQ(dl[i], 0.0f);
      if (f == ActFormat::kQ8_1) {
        const auto *s = reinterpret_cast<const float *>(buf.p + N + N / 2);
        for (int64_t i = 0; i < n / 32; ++i) ASSERT_EQ(s[i], fp16_to_f32(b1[i].s));
      }
    }
  }
}

// ---- matmul ----

struct Matrix {
  uint32_t type;
  int64_t n, rows;
  std::vector<uint8_t> data;
  WeightView view() const {
    WeightView v;
    v.type = type;
    v.ne0 = n;
    v.ne1 = rows;
    v.row_bytes = type_row_bytes(type, n);
    v.matrix_bytes = v.row_bytes * rows;
    v.data = data.data();
    return v;
  }
};

Matrix random_matrix(std::mt19937 &g, uint32_t t, int64_t n, int64_t rows) {
  Matrix m{t, n, rows, {}};
  for (int64_t r = 0; r < rows; ++r) {
    const auto row = random_row(g, t, n, r % 2 == 1);
    m.data.insert(m.data.end(), row.begin(), row.end());
  }
  return m;
}

std::vector<float> run_matmul(const Matrix &m, const std::vector<float> &x, int64_t T, int threads,
                              const MatmulOptions &o) {
  ThreadPool pool(threads);
  const MatmulScope scope(o);
  std::vector<float> y(static_cast<size_t>(T * m.rows), -1.0f);
  cpu_backend().matmul(m.view(), ConstRows{x.data(), T, m.n}, Rows{y.data(), T, m.rows}, &pool);
  return y;
}

// 1, 2 and 3 threads give the same bits, in both modes and every family; every output equals the
// one-token kernel on its row.
TEST(CpuMatmul, ThreadCountDoesNotChangeBits) {
  std::mt19937 g(5);
  for (uint32_t t : {GGML_Q4_K, GGML_Q6_K, GGML_Q8_0, GGML_MXFP4, GGML_BF16, GGML_F32, GGML_Q4_1}) {
    const int64_t n = 512, rows = 37;
    const Matrix m = random_matrix(g, t, n, rows);
    for (int64_t T : {1, 5, 21}) {
      const auto x = random_x(g, n * T);
      for (Isa isa : isas_here())
        for (MatmulMode mode : {MatmulMode::kExact, MatmulMode::kInt8}) {
          const MatmulOptions o{isa, mode};
          const auto one = run_matmul(m, x, T, 1, o);
          const auto two = run_matmul(m, x, T, 2, o);
          const auto three = run_matmul(m, x, T, 3, o);
          ASSERT_EQ(0, std::memcmp(one.data(), two.data(), one.size() * 4)) << tname(t) << " " << isa_name(isa);
          ASSERT_EQ(0, std::memcmp(one.data(), three.data(), one.size() * 4)) << tname(t) << " " << isa_name(isa);
          const TypeKernels *k = cpu::type_kernels(t, isa);
          const bool q8 = mode == MatmulMode::kInt8 && k->act != ActFormat::kF32;
          AlignedBuf buf(cpu::act_bytes(k->act, n));
          for (int64_t tok = 0; tok < T; ++tok) {
            if (q8) cpu::quantize_act(k->act, x.data() + tok * n, buf.p, n);
            for (int64_t r = 0; r < rows; ++r) {
              const uint8_t *row = m.data.data() + r * type_row_bytes(t, n);
              const float want = q8 ? k->dot_q8(row, buf.p, n) : k->dot_f32(row, x.data() + tok * n, n);
              ASSERT_EQ(0, std::memcmp(&want, &one[tok * rows + r], 4))
                  << tname(t) << " " << isa_name(isa) << " T=" << T << " row " << r << " token " << tok;
            }
          }
        }
    }
  }
}

// ---- end to end on the golden q4_k model ----

std::vector<float> model_logits(const Model &m, const std::vector<int32_t> &tokens, Isa isa, bool int8, int threads) {
  SessionOptions so;
  so.n_ctx = static_cast<int64_t>(tokens.size());
  so.n_threads = threads;
  so.isa = isa;
  so.int8_activations = int8;
  Session s(m, so);
  std::vector<uint8_t> all(tokens.size(), 1);
  s.eval(tokens.data(), static_cast<int64_t>(tokens.size()), all.data());
  return s.logits();
}

TEST(CpuMatmul, GoldenQ4KModelInBothModes) {
  auto m = Model::load(testdata_path("models/ds3-tiny-q4_k.gguf"), ModelLoadOptions{});
  const auto tokens = read_token_file(testdata_path("models/ds3-tiny-q4_k.tokens"));
  const auto ref = read_f32(testdata_path("models/ds3-tiny-q4_k.ref.logits.f32"));   // exact weights, f32
  const auto llama = read_f32(testdata_path("models/ds3-tiny-q4_k.logits.f32"));     // llama.cpp int8
  const int64_t T = static_cast<int64_t>(tokens.size()), V = m->arch()->n_vocab();
  ASSERT_EQ(ref.size(), static_cast<size_t>(T * V));
  for (Isa isa : isas_here()) {
    const auto exact = model_logits(*m, tokens, isa, false, 2);
    const Diff de = compare_rows(exact.data(), ref.data(), T, V);
    std::printf("[golden] ds3-tiny-q4_k exact %-6s %s\n", isa_name(isa), describe(de).c_str());
    EXPECT_LE(de.max_abs, 1e-4) << isa_name(isa);
    EXPECT_LE(de.rel_l2, 1e-5) << isa_name(isa);

    const auto q8 = model_logits(*m, tokens, isa, true, 2);
    const Diff dq = compare_rows(q8.data(), llama.data(), T, V);
    std::printf("[golden] ds3-tiny-q4_k int8  %-6s %s (vs llama.cpp)\n", isa_name(isa), describe(dq).c_str());
    EXPECT_LE(dq.rel_l2, 0.1) << isa_name(isa);
    EXPECT_GE(dq.argmax_agree * 5, dq.rows * 4) << isa_name(isa);
    const auto q8_3 = model_logits(*m, tokens, isa, true, 3);
    EXPECT_EQ(0, std::memcmp(q8.data(), q8_3.data(), q8.size() * 4)) << isa_name(isa) << " int8, 2 vs 3 threads";
  }
}

// The MXFP4 experts of the V4 test model on both paths (its llama.cpp logits use int8 activations).
TEST(CpuMatmul, GoldenMxfp4ModelInBothModes) {
  std::unique_ptr<Model> m;
  try {
    m = Model::load(testdata_path("models/dsv4-tiny-b-mxfp4.gguf"), ModelLoadOptions{});
  } catch (const Error &e) {
    if (e.status() == DSV4_ERR_UNSUPPORTED) GTEST_SKIP() << "deepseek4 is not built in: " << e.message();
    throw;
  }
  const auto tokens = read_token_file(testdata_path("models/dsv4-tiny-b-mxfp4.tokens"));
  const auto ref = read_f32(testdata_path("models/dsv4-tiny-b-mxfp4.ref.logits.f32"));
  const auto llama = read_f32(testdata_path("models/dsv4-tiny-b-mxfp4.logits.f32"));
  const int64_t T = static_cast<int64_t>(tokens.size()), V = m->arch()->n_vocab();
  ASSERT_EQ(ref.size(), static_cast<size_t>(T * V));
  for (Isa isa : isas_here()) {
    const auto exact = model_logits(*m, tokens, isa, false, 2);
    const Diff de = compare_rows(exact.data(), ref.data(), T, V);
    std::printf("[golden] dsv4-tiny-b-mxfp4 exact %-6s %s\n", isa_name(isa), describe(de).c_str());
    EXPECT_LE(de.max_abs, 1e-4) << isa_name(isa);
    EXPECT_LE(de.rel_l2, 1e-5) << isa_name(isa);
    const auto q8 = model_logits(*m, tokens, isa, true, 2);
    const Diff dq = compare_rows(q8.data(), llama.data(), T, V);
    std::printf("[golden] dsv4-tiny-b-mxfp4 int8  %-6s %s (vs llama.cpp)\n", isa_name(isa), describe(dq).c_str());
    EXPECT_LE(dq.rel_l2, 0.1) << isa_name(isa);
    EXPECT_GE(dq.argmax_agree * 5, dq.rows * 4) << isa_name(isa);
  }
}

}  // namespace
}  // namespace dsv4::test
