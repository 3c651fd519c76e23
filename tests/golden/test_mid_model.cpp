// The `mid` preset (hidden >= 1024) exercises the SIMD main loops and real thread splits that
// the tiny golden models are too small for: every kernel family must agree with the scalar
// reference at f32 tolerance on the exact path, and results must not depend on the thread count.
#include <gtest/gtest.h>

#include <cstdio>
#include <cstring>
#include <filesystem>

#include "backend/cpu/cpu_features.h"
#include "common/testdata.h"
#include "golden/golden_util.h"
#include "model/maker/maker.h"
#include "runtime/model.h"
#include "runtime/session.h"

namespace dsv4::test {
namespace {

class MidModel : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new std::string(make_temp_dir("mid"));
    for (const char *type : {"q4_k_m", "q8_0"}) {
      maker::MakeOptions o;
      o.spec = maker::preset(maker::Arch::kDeepseek2, "mid");
      o.type = maker::type_mix_from_name(type);
      o.seed = 5;
      o.out_path = *dir_ + "/mid-" + type + ".gguf";
      maker::make_model(o);
    }
  }
  static void TearDownTestSuite() {
    std::filesystem::remove_all(*dir_);
    delete dir_;
  }

  static std::vector<float> logits(const std::string &type, Isa isa, int threads, bool int8 = false) {
    auto m = Model::load(*dir_ + "/mid-" + type + ".gguf", ModelLoadOptions{});
    SessionOptions so;
    so.n_ctx = 24;
    so.n_threads = threads;
    so.isa = isa;
    so.int8_activations = int8;
    Session s(*m, so);
    std::vector<int32_t> toks;
    for (int i = 0; i < 24; ++i) toks.push_back((i * 37 + 11) % static_cast<int32_t>(s.n_vocab()));
    std::vector<uint8_t> all(toks.size(), 1);
    std::vector<float> out;
    s.eval(toks.data(), 16, all.data());  // a prefill ...
    out = s.logits();
    for (size_t i = 16; i < toks.size(); ++i) {  // ... then decode steps
      s.eval(toks.data() + i, 1, nullptr);
      out.insert(out.end(), s.logits().begin(), s.logits().end());
    }
    return out;
  }

  static std::string *dir_;
};
std::string *MidModel::dir_ = nullptr;

TEST_F(MidModel, EveryKernelFamilyMatchesScalarAtF32Tolerance) {
  for (const std::string type : {"q4_k_m", "q8_0"}) {
    const auto ref = logits(type, Isa::kScalar, 2);
    const int64_t rows = 24, cols = static_cast<int64_t>(ref.size()) / rows;
    for (Isa isa : {Isa::kAvx2, Isa::kAvx512}) {
      if (!cpu_features().has(isa)) {
        std::printf("[mid] %s: %s not available on this CPU\n", type.c_str(), isa_name(isa));
        continue;
      }
      const auto got = logits(type, isa, 2);
      const Diff d = compare_rows(got.data(), ref.data(), rows, cols);
      std::printf("[mid] %-7s %-7s vs scalar: %s\n", type.c_str(), isa_name(isa), describe(d).c_str());
      EXPECT_LE(d.rel_l2, 1e-5) << type << " " << isa_name(isa);
      EXPECT_LE(d.max_abs, 1e-3) << type << " " << isa_name(isa);
      EXPECT_EQ(d.argmax_agree, rows);
    }
  }
}

TEST_F(MidModel, OneAndTwoThreadsAreBitwiseEqual) {
  for (bool int8 : {false, true}) {
    const auto one = logits("q4_k_m", Isa::kAuto, 1, int8);
    const auto two = logits("q4_k_m", Isa::kAuto, 2, int8);
    ASSERT_EQ(one.size(), two.size());
    EXPECT_EQ(0, std::memcmp(one.data(), two.data(), one.size() * sizeof(float))) << (int8 ? "int8" : "exact");
  }
}

}  // namespace
}  // namespace dsv4::test
