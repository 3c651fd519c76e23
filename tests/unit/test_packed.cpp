// Packed weight layouts (src/backend/cpu/packed.h): every layout restores its rows byte for byte,
// and its AVX-512 kernel matches the scalar int8 reference of the row-major type on random rows
// and random activations, for several token counts and a partial last group.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <cstring>
#include <random>
#include <vector>

#include "backend/cpu/cpu_features.h"
#include "backend/cpu/kernels.h"
#include "backend/cpu/packed.h"
#include "format/ggml_type.h"
#include "unit/test_kernel_util.h"

namespace dsv4::test {
namespace {

using namespace kernel_util;
using cpu::kPackRows;
using cpu::PackedLayout;

const uint32_t kPackedTypes[] = {GGML_Q4_K, GGML_Q6_K, GGML_Q4_0, GGML_Q8_0, GGML_MXFP4};

std::vector<int64_t> packed_lengths(uint32_t t) {
  if (type_info(t)->block_size == 32) return {32, 96, 1408, 2080};
  return {256, 768, 4096};
}

// n_rows random rows of one group, each raw (every code pattern) or quantized from floats.
std::vector<std::vector<uint8_t>> random_rows(std::mt19937 &g, uint32_t t, int64_t n, int64_t n_rows) {
  std::vector<std::vector<uint8_t>> rows;
  for (int64_t r = 0; r < n_rows; ++r) rows.push_back(random_row(g, t, n, r % 2 == 1));
  return rows;
}

AlignedBuf pack_rows(const PackedLayout &l, const std::vector<std::vector<uint8_t>> &rows, int64_t n, uint8_t fill) {
  const uint64_t rb = type_row_bytes(l.type, n);
  std::vector<uint8_t> src(rb * rows.size());
  for (size_t r = 0; r < rows.size(); ++r) std::memcpy(src.data() + r * rb, rows[r].data(), rb);
  AlignedBuf buf(l.group_bytes(n));
  std::memset(buf.p, fill, l.group_bytes(n));
  l.pack(src.data(), rb, static_cast<int64_t>(rows.size()), n, buf.p);
  return buf;
}

TEST(Packed, EveryHotTypeHasALayout) {
  for (uint32_t t : kPackedTypes) {
    const PackedLayout *l = cpu::packed_layout(t);
    ASSERT_NE(l, nullptr) << tname(t) << " has no packed layout";
    EXPECT_EQ(l->type, t);
    EXPECT_EQ(l->block, static_cast<int64_t>(type_info(t)->block_size)) << tname(t);
    if (cpu_features().has(Isa::kAvx512))
      EXPECT_NE(l->gemv_avx512, nullptr) << "CPUID reports avx512 but " << tname(t) << " has no packed kernel";
  }
  EXPECT_EQ(cpu::packed_layout(GGML_F32), nullptr);
  EXPECT_EQ(cpu::packed_layout(GGML_TYPE_COUNT + 5), nullptr);
}

TEST(Packed, RoundTripIsExact) {
  std::mt19937 g(7);
  for (uint32_t t : kPackedTypes) {
    const PackedLayout *l = cpu::packed_layout(t);
    if (!l) continue;
    for (int64_t n : packed_lengths(t))
      for (int64_t n_rows : {kPackRows, int64_t{5}}) {
        const auto rows = random_rows(g, t, n, n_rows);
        ASSERT_EQ(l->group_bytes(n) % 64, 0u) << tname(t);
        // pack defines every byte of the group: the prior contents do not matter.
        const AlignedBuf a = pack_rows(*l, rows, n, 0x00), b = pack_rows(*l, rows, n, 0xA5);
        ASSERT_EQ(std::memcmp(a.p, b.p, l->group_bytes(n)), 0) << tname(t) << " n=" << n;
        const uint64_t rb = type_row_bytes(t, n);
        std::vector<uint8_t> back(rb);
        for (int64_t r = 0; r < kPackRows; ++r) {
          l->unpack_row(a.p, n, r, back.data());
          if (r < n_rows) {
            ASSERT_EQ(std::memcmp(back.data(), rows[r].data(), rb), 0) << tname(t) << " n=" << n << " row " << r;
          } else {
            for (float v : dequant(t, back, n)) ASSERT_EQ(v, 0.0f) << tname(t) << " padding row " << r;
          }
        }
      }
  }
}

TEST(Packed, Avx512KernelMatchesScalarReference) {
  if (!cpu_features().has(Isa::kAvx512)) GTEST_SKIP() << "no AVX-512 VNNI here: " << describe_cpu_features();
  std::mt19937 g(11);
  int checks = 0;
  for (uint32_t t : kPackedTypes) {
    const PackedLayout *l = cpu::packed_layout(t);
    if (!l || !l->gemv_avx512) continue;
    const cpu::TypeKernels *ref = cpu::type_kernels(t, Isa::kScalar);
    const ActFormat f = ref->act;
    for (int64_t n : packed_lengths(t))
      for (int64_t n_rows : {kPackRows, int64_t{11}}) {
        const auto rows = random_rows(g, t, n, n_rows);
        const AlignedBuf group = pack_rows(*l, rows, n, 0);
        for (int64_t nt : {1, 2, 3, 4, 5, 8, 17}) {
          const size_t stride = cpu::act_bytes(f, n);
          AlignedBuf xbuf(stride * static_cast<size_t>(nt));
          std::vector<const void *> xq;
          for (int64_t i = 0; i < nt; ++i) {
            const auto x = random_x(g, n);
            cpu::quantize_act(f, x.data(), xbuf.p + stride * i, n);
            xq.push_back(xbuf.p + stride * i);
          }
          std::vector<float> out(static_cast<size_t>(nt * kPackRows), NAN);
          l->gemv_avx512(group.p, xq.data(), nt, n, out.data());
          for (int64_t i = 0; i < nt; ++i) {
            const auto a = act_values(f, xbuf.p + stride * i, n);
            for (int64_t r = 0; r < n_rows; ++r) {
              const auto w = dequant(t, rows[r], n);
              double mag = 0;
              for (int64_t j = 0; j < n; ++j) mag += std::fabs(static_cast<double>(w[j]) * a[j]);
              const float want = ref->dot_q8(rows[r].data(), xq[i], n);
              ASSERT_NEAR(out[i * kPackRows + r], want, 1e-5 * mag + 1e-30)
                  << tname(t) << " n=" << n << " nt=" << nt << " token " << i << " row " << r;
              ++checks;
            }
          }
        }
      }
    std::printf("[packed] %s avx512 kernel checked\n", tname(t));
  }
  EXPECT_GT(checks, 0);
}

}  // namespace
}  // namespace dsv4::test
