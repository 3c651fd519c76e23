// deepseek2 logits vs ../shared/testdata references (llama.cpp, cross-checked in float64):
// one batch, token by token, chunks of 5; the q4_k file on the exact path; the legacy layout;
// the per-layer trace; bad input.
#include <gtest/gtest.h>

#include <cstdio>
#include <cstring>
#include <map>

#include "common/error.h"
#include "common/testdata.h"
#include "golden/golden_util.h"
#include "runtime/model.h"
#include "runtime/session.h"

namespace dsv4::test {
namespace {

constexpr double kMaxAbs = 1e-4;
constexpr double kRelL2 = 1e-5;

struct Case {
  const char *model;
  const char *tokens;
  const char *reference;
};

class Deepseek2Golden : public ::testing::TestWithParam<Case> {};

TEST_P(Deepseek2Golden, MatchesReferenceInAllModes) {
  const Case c = GetParam();
  auto m = load_testdata_model(c.model);
  const auto tokens = read_token_file(testdata_path(std::string("models/") + c.tokens));
  const auto ref = read_f32(testdata_path(std::string("models/") + c.reference));
  const int64_t V = m->arch()->n_vocab();
  ASSERT_EQ(ref.size(), tokens.size() * static_cast<size_t>(V));
  const std::map<std::string, int64_t> modes = {{"batch", 0}, {"token-by-token", 1}, {"chunks-of-5", 5}};
  for (const auto &[mode, chunk] : modes) {
    const auto got = run_logits(*m, tokens, {.chunk = chunk});
    const Diff d = compare_rows(got.data(), ref.data(), static_cast<int64_t>(tokens.size()), V);
    std::printf("[golden] %-22s %-15s %s\n", c.model, mode.c_str(), describe(d).c_str());
    EXPECT_LE(d.max_abs, kMaxAbs) << c.model << " " << mode;
    EXPECT_LE(d.rel_l2, kRelL2) << c.model << " " << mode;
  }
}

INSTANTIATE_TEST_SUITE_P(
    Models, Deepseek2Golden,
    ::testing::Values(Case{"ds2lite-tiny-f32", "ds2lite-tiny-f32.tokens", "ds2lite-tiny-f32.logits.f32"},
                      Case{"ds3-tiny-f32", "ds3-tiny-f32.tokens", "ds3-tiny-f32.logits.f32"},
                      Case{"ds3-tiny-yarn-f32", "ds3-tiny-yarn-f32.tokens", "ds3-tiny-yarn-f32.logits.f32"},
                      // The legacy attn_kv_b layout reproduces its split twin's reference.
                      Case{"ds2lite-tiny-kvb-f32", "ds2lite-tiny-kvb-f32.tokens", "ds2lite-tiny-f32.logits.f32"},
                      // Exact path: weights dequantized exactly, f32 activations -> the float64 reference.
                      Case{"ds3-tiny-q4_k", "ds3-tiny-q4_k.tokens", "ds3-tiny-q4_k.ref.logits.f32"}),
    [](const auto &info) {
      std::string s = info.param.model;
      for (char &ch : s)
        if (ch == '-') ch = '_';
      return s;
    });

TEST(Deepseek2Golden, TraceMatchesFloat64Reference) {
  auto m = load_testdata_model("ds3-tiny-f32");
  const auto records = read_trace(testdata_path("models/ds3-tiny-f32.trace.bin"));
  auto tokens = read_token_file(testdata_path("models/ds3-tiny-f32.tokens"));
  tokens.resize(4);
  std::map<std::string, std::vector<float>> got;
  TraceHook hook = [&](const std::string &name, const float *data, int64_t rows, int64_t cols) {
    got[name].assign(data, data + rows * cols);
  };
  SessionOptions so;
  so.n_ctx = 4;
  Session s(*m, so);
  std::vector<uint8_t> all(4, 1);
  s.eval(tokens.data(), 4, all.data(), &hook);
  ASSERT_FALSE(records.empty());
  for (const TraceRecord &r : records) {
    ASSERT_TRUE(got.count(r.name)) << "runtime did not trace " << r.name;
    const auto &g = got[r.name];
    ASSERT_EQ(g.size(), r.data.size()) << r.name;
    const Diff d = compare_rows(g.data(), r.data.data(), 1, static_cast<int64_t>(g.size()));
    // The first diverging intermediate names the layer and the step.
    ASSERT_LE(d.rel_l2, 1e-5) << "first divergence at " << r.name << ": " << describe(d);
    ASSERT_LE(d.max_abs, 1e-4) << "first divergence at " << r.name << ": " << describe(d);
  }
}

TEST(Deepseek2Golden, Bf16CacheStaysClose) {
  auto m = load_testdata_model("ds3-tiny-f32");
  const auto tokens = read_token_file(testdata_path("models/ds3-tiny-f32.tokens"));
  const auto ref = read_f32(testdata_path("models/ds3-tiny-f32.logits.f32"));
  const auto got = run_logits(*m, tokens, {.cache = CacheType::kBF16});
  const Diff d = compare_rows(got.data(), ref.data(), static_cast<int64_t>(tokens.size()), m->arch()->n_vocab());
  std::printf("[golden] ds3-tiny-f32 bf16 cache %s\n", describe(d).c_str());
  EXPECT_LE(d.rel_l2, 2e-2);
  EXPECT_GE(d.argmax_agree, 30);
}

TEST(Deepseek2Golden, ThreadCountDoesNotChangeBits) {
  auto m = load_testdata_model("ds3-tiny-q4_k");
  const auto tokens = read_token_file(testdata_path("models/ds3-tiny-q4_k.tokens"));
  const auto one = run_logits(*m, tokens, {.threads = 1});
  const auto two = run_logits(*m, tokens, {.threads = 2});
  const auto three = run_logits(*m, tokens, {.threads = 3});
  ASSERT_EQ(one.size(), two.size());
  EXPECT_EQ(0, std::memcmp(one.data(), two.data(), one.size() * 4));
  EXPECT_EQ(0, std::memcmp(one.data(), three.data(), one.size() * 4));
}

TEST(Deepseek2Golden, BadInputLeavesSessionUsable) {
  auto m = load_testdata_model("ds2lite-tiny-f32");
  SessionOptions so;
  so.n_ctx = 4;
  so.n_threads = 1;
  Session s(*m, so);
  const int32_t bad[] = {1, 200000};
  try {
    s.eval(bad, 2, nullptr);
    FAIL() << "expected TOKEN_OUT_OF_RANGE";
  } catch (const Error &e) {
    EXPECT_EQ(e.status(), DSV4_ERR_TOKEN_OUT_OF_RANGE);
    EXPECT_NE(e.message().find("200000"), std::string::npos);
  }
  EXPECT_EQ(s.length(), 0);
  const int32_t ok[] = {100000, 5, 6};
  s.eval(ok, 3, nullptr);
  try {
    s.eval(ok, 2, nullptr);
    FAIL() << "expected CONTEXT_FULL";
  } catch (const Error &e) {
    EXPECT_EQ(e.status(), DSV4_ERR_CONTEXT_FULL);
  }
  EXPECT_EQ(s.length(), 3);
  s.eval(ok, 1, nullptr);  // still usable
  EXPECT_EQ(s.length(), 4);
  s.truncate(1);
  s.eval(ok + 1, 2, nullptr);
  EXPECT_EQ(s.length(), 3);
}

// A huge n_ctx must not wrap the memory plan's products (n_layer * n_ctx * row * 4) to a small
// number that passes the check and leaves an undersized cache.
TEST(Deepseek2Golden, HugeContextIsRejectedNotWrapped) {
  auto m = load_testdata_model("ds2lite-tiny-f32");
  for (int64_t n_ctx : {int64_t{1} << 62, int64_t{1} << 60, (int64_t{1} << 32) + 1}) {
    SessionOptions so;
    so.n_ctx = n_ctx;
    so.n_threads = 1;
    try {
      Session s(*m, so);
      FAIL() << "n_ctx " << n_ctx << " was accepted";
    } catch (const Error &e) {
      EXPECT_EQ(e.status(), DSV4_ERR_INVALID_ARGUMENT) << e.message();
    }
  }
}

TEST(Deepseek2Golden, TruncateThenReevaluateMatchesFresh) {
  auto m = load_testdata_model("ds3-tiny-f32");
  const auto tokens = read_token_file(testdata_path("models/ds3-tiny-f32.tokens"));
  const auto ref = read_f32(testdata_path("models/ds3-tiny-f32.logits.f32"));
  const int64_t V = m->arch()->n_vocab();
  SessionOptions so;
  so.n_ctx = 32;
  Session s(*m, so);
  s.eval(tokens.data(), 20, nullptr);
  s.truncate(10);
  s.eval(tokens.data() + 10, 22, nullptr);
  const Diff d = compare_rows(s.logits().data(), ref.data() + 31 * V, 1, V);
  EXPECT_LE(d.max_abs, kMaxAbs);
}

}  // namespace
}  // namespace dsv4::test
