// deepseek4 logits vs ../shared/testdata references (llama.cpp, cross-checked in float64):
// one batch, token by token, chunks that straddle window and compression boundaries, the
// unfused path; dsv4-tiny-b-mxfp4 on the exact path; the per-layer trace; rewind (truncate)
// against fresh sessions; the state's bytes against its plan.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>

#include "common/error.h"
#include "common/testdata.h"
#include "golden/golden_util.h"
#include "model/arch/deepseek4_state.h"
#include "model/config.h"
#include "runtime/model.h"
#include "runtime/session.h"

namespace dsv4::test {
namespace {

constexpr double kMaxAbs = 1e-4;
constexpr double kRelL2 = 1e-5;

struct Case {
  const char *model;
  const char *reference;
};

class Deepseek4Golden : public ::testing::TestWithParam<Case> {};

TEST_P(Deepseek4Golden, MatchesReferenceInAllModes) {
  const Case c = GetParam();
  auto m = load_testdata_model(c.model);
  const auto tokens = read_token_file(testdata_path(std::string("models/") + c.model + ".tokens"));
  const auto ref = read_f32(testdata_path(std::string("models/") + c.reference));
  const int64_t V = m->arch()->n_vocab(), n = static_cast<int64_t>(tokens.size());
  ASSERT_EQ(ref.size(), tokens.size() * static_cast<size_t>(V));
  // Chunks of 7 and 50 straddle the window (16 / 32), the CSA blocks (4) and the HCA block (128);
  // n_batch 37 splits one call into internal batches at other offsets.
  RunOptions batch, by_token, chunk7, chunk50, nbatch37, unfused;
  by_token.chunk = 1;
  chunk7.chunk = 7;
  chunk50.chunk = 50;
  nbatch37.n_batch = 37;
  unfused.unfused = true;
  const std::vector<std::pair<std::string, RunOptions>> modes = {
      {"batch", batch},       {"token-by-token", by_token}, {"chunks-of-7", chunk7},
      {"chunks-of-50", chunk50}, {"n_batch-37", nbatch37}, {"unfused", unfused}};
  std::vector<float> first;
  for (const auto &[mode, ro] : modes) {
    const auto got = run_logits(*m, tokens, ro);
    const Diff d = compare_rows(got.data(), ref.data(), n, V);
    std::printf("[golden] %-20s %-15s %s\n", c.model, mode.c_str(), describe(d).c_str());
    EXPECT_LE(d.max_abs, kMaxAbs) << c.model << " " << mode;
    EXPECT_LE(d.rel_l2, kRelL2) << c.model << " " << mode;
    // Every row is computed the same way whatever the chunking: the logits are bitwise equal.
    // (The unfused path rounds differently — e.g. mHC normalises before projecting — and is
    // only held to the tolerance.)
    if (first.empty()) first = got;
    else if (!ro.unfused)
      EXPECT_EQ(0, std::memcmp(first.data(), got.data(), got.size() * 4)) << mode << " differs from batch";
  }
}

INSTANTIATE_TEST_SUITE_P(Models, Deepseek4Golden,
                         ::testing::Values(Case{"dsv4-tiny-f32", "dsv4-tiny-f32.logits.f32"},
                                           // Exact path: MXFP4 / Q8_0 dequantized exactly, f32 activations.
                                           Case{"dsv4-tiny-b-mxfp4", "dsv4-tiny-b-mxfp4.ref.logits.f32"}),
                         [](const auto &info) {
                           std::string s = info.param.model;
                           for (char &ch : s)
                             if (ch == '-') ch = '_';
                           return s;
                         });

// llama.cpp's own logits of the MXFP4 file come from int8-rounded activations (README): with
// the same rounding, compare loosely (rel L2 <= 0.15, argmax >= 85 %), not elementwise.
TEST(Deepseek4Golden, Int8ActivationsMatchLlamaCppLogits) {
  auto m = load_testdata_model("dsv4-tiny-b-mxfp4");
  const auto tokens = read_token_file(testdata_path("models/dsv4-tiny-b-mxfp4.tokens"));
  const auto ref = read_f32(testdata_path("models/dsv4-tiny-b-mxfp4.logits.f32"));
  const int64_t n = static_cast<int64_t>(tokens.size()), V = m->arch()->n_vocab();
  SessionOptions so;
  so.n_ctx = n;
  so.n_threads = 2;
  so.int8_activations = true;
  Session s(*m, so);
  std::vector<uint8_t> all(static_cast<size_t>(n), 1);
  s.eval(tokens.data(), n, all.data());
  const Diff d = compare_rows(s.logits().data(), ref.data(), n, V);
  std::printf("[golden] dsv4-tiny-b-mxfp4 int8 activations vs .logits.f32 %s\n", describe(d).c_str());
  EXPECT_LE(d.rel_l2, 0.15);
  EXPECT_GE(d.argmax_agree, n * 85 / 100);
  // Before the first rounding or routing flip the rows agree closely (README: first 89 rows).
  const Diff early = compare_rows(s.logits().data(), ref.data(), 32, V);
  std::printf("[golden] dsv4-tiny-b-mxfp4 int8 activations, rows 0-31: %s\n", describe(early).c_str());
}

TEST(Deepseek4Golden, TraceMatchesFloat64Reference) {
  auto m = load_testdata_model("dsv4-tiny-f32");
  const auto records = read_trace(testdata_path("models/dsv4-tiny-f32.trace.bin"));
  auto tokens = read_token_file(testdata_path("models/dsv4-tiny-f32.tokens"));
  tokens.resize(4);
  for (bool unfused : {false, true}) {
    std::map<std::string, std::vector<float>> got;
    TraceHook hook = [&](const std::string &name, const float *data, int64_t rows, int64_t cols) {
      got[name].assign(data, data + rows * cols);
    };
    SessionOptions so;
    so.n_ctx = 4;
    so.unfused = unfused;
    Session s(*m, so);
    std::vector<uint8_t> all(4, 1);
    s.eval(tokens.data(), 4, all.data(), &hook);
    ASSERT_EQ(records.size(), 26u);
    double worst = 0;
    for (const TraceRecord &r : records) {
      ASSERT_TRUE(got.count(r.name)) << "runtime did not trace " << r.name;
      const auto &g = got[r.name];
      ASSERT_EQ(g.size(), r.data.size()) << r.name;
      const Diff d = compare_rows(g.data(), r.data.data(), 1, static_cast<int64_t>(g.size()));
      worst = std::max(worst, d.rel_l2);
      ASSERT_LE(d.rel_l2, 1e-5) << "first divergence at " << r.name << ": " << describe(d);
      ASSERT_LE(d.max_abs, 1e-4) << "first divergence at " << r.name << ": " << describe(d);
    }
    std::printf("[golden] dsv4-tiny-f32 trace%s: 26 records, worst rel_l2 %.3g\n", unfused ? " (unfused)" : "", worst);
  }
}

// DSV4_UNFUSED=1 in the environment selects the same unfused path as the session flag.
TEST(Deepseek4Golden, UnfusedEnvironmentSwitch) {
  auto m = load_testdata_model("dsv4-tiny-f32");
  auto tokens = read_token_file(testdata_path("models/dsv4-tiny-f32.tokens"));
  tokens.resize(40);
  RunOptions flag;
  flag.unfused = true;
  const auto by_flag = run_logits(*m, tokens, flag), fused = run_logits(*m, tokens, RunOptions{});
  ::setenv("DSV4_UNFUSED", "1", 1);
  const auto by_env = run_logits(*m, tokens, RunOptions{});
  ::unsetenv("DSV4_UNFUSED");
  EXPECT_EQ(0, std::memcmp(by_flag.data(), by_env.data(), by_env.size() * 4));
  EXPECT_NE(0, std::memcmp(fused.data(), by_env.data(), by_env.size() * 4));  // really another path
}

TEST(Deepseek4Golden, ThreadCountDoesNotChangeBits) {
  auto m = load_testdata_model("dsv4-tiny-b-mxfp4");
  const auto tokens = read_token_file(testdata_path("models/dsv4-tiny-b-mxfp4.tokens"));
  RunOptions one, three;
  one.threads = 1;
  three.threads = 3;
  const auto a = run_logits(*m, tokens, one), b = run_logits(*m, tokens, three);
  EXPECT_EQ(0, std::memcmp(a.data(), b.data(), a.size() * 4));
}

// bf16 and packed fp8 caches round what they store; the logits stay close.
TEST(Deepseek4Golden, CompactCachesStayClose) {
  auto m = load_testdata_model("dsv4-tiny-f32");
  const auto tokens = read_token_file(testdata_path("models/dsv4-tiny-f32.tokens"));
  const auto ref = read_f32(testdata_path("models/dsv4-tiny-f32.logits.f32"));
  const int64_t n = static_cast<int64_t>(tokens.size()), V = m->arch()->n_vocab();
  for (CacheType t : {CacheType::kBF16, CacheType::kFP8}) {
    RunOptions ro, ro_tok;
    ro.cache = t;
    ro_tok.cache = t;
    ro_tok.chunk = 1;
    const auto got = run_logits(*m, tokens, ro);
    const Diff d = compare_rows(got.data(), ref.data(), n, V);
    std::printf("[golden] dsv4-tiny-f32 %s cache %s\n", t == CacheType::kBF16 ? "bf16" : "fp8", describe(d).c_str());
    // README: DeepSeek's FP8 KV rounding alone moves these logits by 5e-2…1.1e-1.
    EXPECT_LE(d.rel_l2, t == CacheType::kBF16 ? 5e-2 : 0.3);
    const auto tok = run_logits(*m, tokens, ro_tok);
    EXPECT_EQ(0, std::memcmp(got.data(), tok.data(), got.size() * 4)) << "cache rounding depends on chunking";
  }
}

// DeepSeek's own numerics: each option changes the logits (by about the amount the README
// measures) and keeps them finite; batch and token-by-token still agree bitwise.
TEST(Deepseek4Golden, DeepSeekNumericsOptions) {
  auto m = load_testdata_model("dsv4-tiny-f32");
  auto tokens = read_token_file(testdata_path("models/dsv4-tiny-f32.tokens"));
  tokens.resize(200);
  const int64_t n = static_cast<int64_t>(tokens.size()), V = m->arch()->n_vocab();
  const auto base = run_logits(*m, tokens, RunOptions{});
  for (uint32_t flag : {kV4NoSharedClamp, kV4KvFp8, kV4IndexerFp4, kV4ActFp8}) {
    RunOptions ro, ro_tok;
    ro.numerics = flag;
    ro_tok.numerics = flag;
    ro_tok.chunk = 1;
    const auto got = run_logits(*m, tokens, ro);
    const Diff d = compare_rows(got.data(), base.data(), n, V);
    std::printf("[golden] dsv4-tiny-f32 numerics %u vs default: %s\n", flag, describe(d).c_str());
    for (float v : got) ASSERT_TRUE(std::isfinite(v));
    EXPECT_GT(d.rel_l2, 1e-3) << flag;
    EXPECT_LT(d.rel_l2, 1.0) << flag;
    const auto tok = run_logits(*m, tokens, ro_tok);
    EXPECT_EQ(0, std::memcmp(got.data(), tok.data(), got.size() * 4)) << flag;
  }
}

// Rewind: truncate(p) then feeding the rest gives the fresh session's logits bitwise, at p
// inside and on the edges of windows (16), CSA blocks (4), HCA blocks and snapshots (128).
TEST(Deepseek4Golden, TruncateMatchesFreshSession) {
  for (const char *name : {"dsv4-tiny-f32", "dsv4-tiny-b-mxfp4"}) {
    auto m = load_testdata_model(name);
    const auto tokens = read_token_file(testdata_path(std::string("models/") + name + ".tokens"));
    const auto ref = read_f32(testdata_path(std::string("models/") + name +
                                            (std::string(name) == "dsv4-tiny-f32" ? ".logits.f32" : ".ref.logits.f32")));
    const int64_t n = static_cast<int64_t>(tokens.size()), V = m->arch()->n_vocab();
    SessionOptions so;
    so.n_ctx = n;
    so.n_threads = 2;
    so.snapshot_interval = 128;
    // The fresh run: all tokens in chunks of 10 (the same chunking the rewound session uses
    // after its truncate point is irrelevant: logits do not depend on chunking).
    Session fresh(*m, so);
    std::vector<uint8_t> all(static_cast<size_t>(n), 1);
    fresh.eval(tokens.data(), n, all.data());
    const std::vector<float> want = fresh.logits();
    Session s(*m, so);
    s.eval(tokens.data(), n, nullptr);
    for (int64_t p : {0, 1, 3, 4, 5, 15, 16, 17, 31, 32, 33, 100, 127, 128, 129, 131, 132, 200, 255, 256, 257, 268, 269}) {
      s.truncate(p);
      ASSERT_EQ(s.length(), p);
      s.eval(tokens.data() + p, n - p, all.data());
      ASSERT_EQ(s.logits().size(), static_cast<size_t>((n - p) * V));
      EXPECT_EQ(0, std::memcmp(s.logits().data(), want.data() + p * V, s.logits().size() * 4))
          << name << " truncate(" << p << ")";
      const Diff d = compare_rows(s.logits().data(), ref.data() + p * V, n - p, V);
      EXPECT_LE(d.rel_l2, kRelL2) << name << " truncate(" << p << ")";
    }
    // Truncating to an earlier point twice in a row, and to the current length, also works.
    s.truncate(130);
    s.truncate(60);
    s.truncate(60);
    s.eval(tokens.data() + 60, n - 60, all.data());
    EXPECT_EQ(0, std::memcmp(s.logits().data(), want.data() + 60 * V, s.logits().size() * 4));
  }
}

// A cancelled eval leaves the state consistent: the tokens of finished batches stay and the
// next eval continues exactly.
TEST(Deepseek4Golden, CancelledEvalResumesExactly) {
  auto m = load_testdata_model("dsv4-tiny-f32");
  const auto tokens = read_token_file(testdata_path("models/dsv4-tiny-f32.tokens"));
  const int64_t n = static_cast<int64_t>(tokens.size()), V = m->arch()->n_vocab();
  const auto want = run_logits(*m, tokens, RunOptions{});
  SessionOptions so;
  so.n_ctx = n;
  so.n_batch = 50;
  so.snapshot_interval = 128;
  Session s(*m, so);
  int calls = 0;
  TraceHook hook = [&](const std::string &name, const float *, int64_t, int64_t) {
    // Cancel in the middle of the third internal batch (after some layers ran).
    if (name == "blk.1.l_out" && ++calls == 3) s.cancel();
  };
  try {
    s.eval(tokens.data(), 200, nullptr, &hook, true);
    FAIL() << "expected CANCELLED";
  } catch (const Error &e) {
    EXPECT_EQ(e.status(), DSV4_CANCELLED);
  }
  EXPECT_EQ(s.length(), 100);
  std::vector<uint8_t> all(static_cast<size_t>(n), 1);
  s.eval(tokens.data() + 100, n - 100, all.data());
  EXPECT_EQ(0, std::memcmp(s.logits().data(), want.data() + 100 * V, s.logits().size() * 4));
}

// The session allocates exactly what the plan computed from the configuration.
TEST(Deepseek4Golden, StateAllocatesWhatThePlanSays) {
  for (const char *name : {"dsv4-tiny-f32", "dsv4-tiny-b-mxfp4"}) {
    auto m = load_testdata_model(name);
    const Deepseek4Config c = Deepseek4Config::from_gguf(m->file());
    for (CacheType t : {CacheType::kF32, CacheType::kBF16, CacheType::kFP8})
      for (int64_t n_ctx : {1, 270, 1000}) {
        SessionOptions so;
        so.n_ctx = n_ctx;
        so.cache_type = t;
        so.snapshot_interval = 128;
        Session s(*m, so);
        StateOptions o;
        o.n_ctx = n_ctx;
        o.cache_type = t;
        o.snapshot_interval = 128;
        const Deepseek4StatePlan plan = plan_deepseek4_state(c, o);
        EXPECT_EQ(s.state_bytes(), plan.total()) << name << " n_ctx " << n_ctx;
        EXPECT_EQ(m->arch()->state_bytes(o), plan.total());
      }
  }
}

TEST(Deepseek4Golden, MemoryLimitIsCheckedBeforeAllocating) {
  auto m = load_testdata_model("dsv4-tiny-f32");
  SessionOptions so;
  so.n_ctx = 1 << 20;
  so.memory_limit = 64 << 20;
  try {
    Session s(*m, so);
    FAIL() << "expected OUT_OF_MEMORY";
  } catch (const Error &e) {
    EXPECT_EQ(e.status(), DSV4_ERR_OUT_OF_MEMORY) << e.what();
  }
}

}  // namespace
}  // namespace dsv4::test
