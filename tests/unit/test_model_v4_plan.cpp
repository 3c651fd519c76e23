// The memory planner (src/model/plan.h) and `dsv4 plan`: spec §5.2's per-sequence figures for
// V4-Flash / V4-Pro at 1M context, and agreement with what sessions really allocate.
#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "common/error.h"
#include "common/testdata.h"
#include "format/gguf.h"
#include "model/arch/deepseek4_state.h"
#include "model/config.h"
#include "model/plan.h"
#include "runtime/model.h"
#include "runtime/session.h"

namespace dsv4::test {
namespace {

constexpr double kGiB = 1073741824.0;

double state_gib(const std::string &preset, CacheType t) {
  PlanRequest r;
  r.context = 1048576;
  r.cache_type = t;
  return plan_preset(preset, r).state_per_sequence / kGiB;
}

// Spec §5.2: Flash 6.74 GiB (bf16) / 3.44 GiB (packed fp8); Pro 9.64 / 4.93 GiB; f32 twice bf16.
TEST(Deepseek4Plan, PerSequenceStateAtOneMillionTokens) {
  const double flash_bf16 = state_gib("v4-flash", CacheType::kBF16), flash_fp8 = state_gib("v4-flash", CacheType::kFP8);
  const double pro_bf16 = state_gib("v4-pro", CacheType::kBF16), pro_fp8 = state_gib("v4-pro", CacheType::kFP8);
  std::printf("[plan] v4-flash 1M: bf16 %.3f GiB, fp8 %.3f GiB; v4-pro: bf16 %.3f GiB, fp8 %.3f GiB\n", flash_bf16,
              flash_fp8, pro_bf16, pro_fp8);
  EXPECT_NEAR(flash_bf16, 6.74, 0.674);
  EXPECT_NEAR(flash_fp8, 3.44, 0.344);
  EXPECT_NEAR(pro_bf16, 9.64, 0.964);
  EXPECT_NEAR(pro_fp8, 4.93, 0.493);
  const double flash_f32 = state_gib("v4-flash", CacheType::kF32);
  EXPECT_NEAR(flash_f32, 2 * flash_bf16, 0.02 * flash_bf16);  // the f32 compressor state does not double
}

TEST(Deepseek4Plan, PartsAddUpAndExactBytes) {
  PlanRequest r;
  r.context = 1048576;
  r.cache_type = CacheType::kBF16;
  const MemoryPlan p = plan_preset("v4-flash", r);
  // CSA: 21 layers × (512·2 + 128·2) B per 4 tokens; HCA: 20 × 1024 B per 128 tokens (§5.2).
  uint64_t compressed = 0, indexer = 0;
  for (const PlanPart &part : p.session) {
    if (part.name == "compressed_kv") compressed = part.bytes;
    if (part.name == "indexer") indexer = part.bytes;
  }
  EXPECT_EQ(compressed, 21ull * (1048576 / 4) * 1024 + 20ull * (1048576 / 128) * 1024);
  EXPECT_EQ(indexer, 21ull * (1048576 / 4) * 256);
  // Window rings 5.5 MiB and compressor state 11.6 MiB, as the spec lists them.
  EXPECT_EQ(p.session[0].name, "window");
  EXPECT_EQ(p.session[0].bytes, 43ull * 128 * 1024);
  EXPECT_NEAR(p.session[3].bytes / 1048576.0, 11.6, 0.1);
  // Routed experts dominate the weights (FP4 + E8M0 scales): 43 × 256 × 3 × 2048 × 4096 × 17/32 B.
  for (const PlanPart &part : p.weights)
    if (part.name == "routed_experts") EXPECT_EQ(part.bytes, 43ull * 256 * 3 * 2048 * 4096 / 32 * 17);
  EXPECT_GT(p.weights_total(), 150e9);
  EXPECT_LT(p.weights_total(), 160e9);  // the checkpoint is 159.6 GB including the MTP block
}

TEST(Deepseek4Plan, DeepSeek2PresetsAndWeightTypes) {
  PlanRequest r;
  r.context = 4096;
  r.cache_type = CacheType::kBF16;
  const MemoryPlan lite = plan_preset("v2-lite", r);
  EXPECT_EQ(lite.arch, "deepseek2");
  EXPECT_EQ(lite.state_per_sequence, 27ull * 4096 * 576 * 2);
  EXPECT_NEAR(lite.weights_total() / 1e9, 31.4, 1.5);  // 15.7 B parameters in bf16
  r.weights_type = "q4_k";
  EXPECT_LT(plan_preset("v2-lite", r).weights_total(), lite.weights_total() / 3);
  r.weights_type = "nonsense";
  EXPECT_THROW(plan_preset("v3", r), Error);
  r.weights_type = "";
  r.cache_type = CacheType::kFP8;
  EXPECT_THROW(plan_preset("v3", r), Error);  // no fp8 latent cache for deepseek2
  EXPECT_THROW(plan_preset("v5", r), Error);
}

// The planner from a file gives the bytes the session then allocates, part by part.
TEST(Deepseek4Plan, FileplanMatchesSessionAllocation) {
  for (const char *name : {"dsv4-tiny-f32", "dsv4-tiny-b-mxfp4"})
    for (CacheType t : {CacheType::kF32, CacheType::kBF16, CacheType::kFP8}) {
      const std::string path = testdata_path(std::string("models/") + name + ".gguf");
      gguf::OpenOptions oo;
      oo.load_data = false;
      const auto f = gguf::File::open(path, oo);
      PlanRequest r;
      r.context = 700;
      r.cache_type = t;
      r.snapshot_interval = 128;
      r.n_batch = 64;
      const MemoryPlan p = plan_file(*f, r);
      uint64_t weights = 0;
      for (const gguf::TensorInfo &ti : f->tensors()) weights += ti.nbytes;
      EXPECT_EQ(p.weights_total(), weights);
      auto m = Model::load(path, ModelLoadOptions{});
      SessionOptions so;
      so.n_ctx = 700;
      so.cache_type = t;
      so.snapshot_interval = 128;
      so.n_batch = 64;
      Session s(*m, so);
      uint64_t state = 0;
      for (const PlanPart &part : p.session)
        if (part.name != "scratch" && part.name != "logits") state += part.bytes;
      EXPECT_EQ(s.state_bytes(), state) << name;
      EXPECT_EQ(s.planned_bytes(), p.session_total()) << name;
    }
}

TEST(Deepseek4Plan, PartsOfTensorNames) {
  EXPECT_EQ(plan_part_of("blk.3.attn_q_b.weight"), "attention");
  EXPECT_EQ(plan_part_of("blk.3.indexer.attn_q_b.weight"), "attention");
  EXPECT_EQ(plan_part_of("blk.3.indexer_compressor_kv.weight"), "attention");
  EXPECT_EQ(plan_part_of("blk.3.attn_norm.weight"), "other");
  EXPECT_EQ(plan_part_of("blk.3.ffn_up_exps.weight"), "routed_experts");
  EXPECT_EQ(plan_part_of("blk.3.ffn_down_shexp.weight"), "shared_expert");
  EXPECT_EQ(plan_part_of("token_embd.weight"), "embeddings_head");
  EXPECT_EQ(plan_part_of("blk.0.hc_attn_fn.weight"), "other");
}

TEST(Deepseek4Plan, SnapshotIntervalMustBeAMultipleOf128) {
  StateOptions o;
  o.n_ctx = 1000;
  o.snapshot_interval = 100;
  EXPECT_THROW(plan_deepseek4_state(Deepseek4Config::preset("v4-flash"), o), Error);
  o.snapshot_interval = 256;
  const Deepseek4StatePlan p = plan_deepseek4_state(Deepseek4Config::preset("v4-flash"), o);
  EXPECT_EQ(p.n_snapshots, 3);  // at 256, 512, 768
}

// `dsv4 plan` prints the same figures, one record per line.
TEST(Deepseek4Plan, CommandLine) {
  const std::string bin = binary_path("dsv4");
  if (!std::filesystem::exists(bin)) GTEST_SKIP() << "dsv4 binary not built";
  const std::string dir = make_temp_dir("plan"), out = dir + "/out.txt";
  const std::string cmd = "'" + bin + "' plan --preset v4-flash --context 1048576 --cache-type bf16 >'" + out + "' 2>&1";
  ASSERT_EQ(std::system(cmd.c_str()), 0);
  std::ifstream in(out);
  std::string line;
  bool found = false;
  while (std::getline(in, line)) {
    if (line.rfind("state_per_sequence\t", 0) != 0) continue;
    std::istringstream ss(line.substr(19));
    uint64_t bytes = 0;
    ss >> bytes;
    EXPECT_NEAR(bytes / kGiB, 6.74, 0.674);
    found = true;
  }
  EXPECT_TRUE(found);
  const std::string usage = "'" + bin + "' plan --context 5 >/dev/null 2>&1";
  EXPECT_EQ(WEXITSTATUS(std::system(usage.c_str())), 2);
  const std::string model = "'" + bin + "' plan --model '" + testdata_path("models/dsv4-tiny-f32.gguf") +
                            "' --context 270 --cache-type fp8 >/dev/null 2>&1";
  EXPECT_EQ(std::system(model.c_str()), 0);
}

}  // namespace
}  // namespace dsv4::test
