// `dsv4 make-model`: stdout carries only the output path, progress goes to stderr, bad command
// lines exit 2, and the file equals what the library writes for the same options.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "common/testdata.h"
#include "model/maker/maker.h"

namespace dsv4::test {
namespace {

class MakerCli : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!std::filesystem::exists(binary_path("dsv4"))) GTEST_SKIP() << "dsv4 binary not built";
    dir_ = make_temp_dir("maker-cli");
  }
  void TearDown() override {
    if (!dir_.empty()) std::filesystem::remove_all(dir_);
  }
  CliResult run(const std::string &args) const { return run_cli("make-model " + args, dir_); }
  std::string dir_;
};

TEST_F(MakerCli, WritesTheSameFileAsTheLibrary) {
  const std::string path = dir_ + "/cli.gguf";
  const CliResult r = run("--arch deepseek4 --preset tiny --type q8_0 --seed 11 --threads 3 --out '" + path + "'");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, path + "\n");
  EXPECT_NE(r.err.find("100%"), std::string::npos) << r.err;

  maker::MakeOptions o;
  o.spec = maker::preset(maker::Arch::kDeepseek4, "tiny");
  o.type = maker::TypeMix::kQ8_0;
  o.seed = 11;
  o.n_threads = 1;
  o.out_path = dir_ + "/lib.gguf";
  maker::make_model(o);
  EXPECT_TRUE(read_bytes(path) == read_bytes(o.out_path));
}

TEST_F(MakerCli, ConfigFileAndQuiet) {
  const std::string cfg = dir_ + "/config.json";
  std::ofstream(cfg) << R"({"hidden_size": 32, "num_hidden_layers": 2, "first_k_dense_replace": 1,
    "intermediate_size": 64, "num_attention_heads": 2, "q_lora_rank": 32, "kv_lora_rank": 32,
    "qk_nope_head_dim": 16, "qk_rope_head_dim": 8, "v_head_dim": 16, "vocab_size": 400,
    "n_routed_experts": 4, "n_shared_experts": 1, "num_experts_per_tok": 2, "moe_intermediate_size": 32,
    "scoring_func": "sigmoid", "n_group": 2, "topk_group": 1, "norm_topk_prob": true, "routed_scaling_factor": 2.5})";
  const CliResult r = run("--arch deepseek2 --config '" + cfg + "' --type q4_k_m --quiet --out '" + dir_ + "/c.gguf'");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.err.find('%'), std::string::npos) << r.err;  // --quiet: no progress lines
  EXPECT_TRUE(std::filesystem::exists(dir_ + "/c.gguf"));
}

TEST_F(MakerCli, UsageErrors) {
  EXPECT_EQ(run("--arch deepseek3 --preset tiny --out x.gguf").exit_code, 2);
  EXPECT_EQ(run("--arch deepseek2 --preset nope --out x.gguf").exit_code, 2);
  EXPECT_EQ(run("--arch deepseek2 --preset tiny --type q5_q --out x.gguf").exit_code, 2);
  EXPECT_EQ(run("--arch deepseek2 --out x.gguf").exit_code, 2);                     // neither preset nor config
  EXPECT_EQ(run("--arch deepseek2 --preset tiny --config c.json --out x.gguf").exit_code, 2);  // both
  EXPECT_EQ(run("--arch deepseek2 --preset tiny").exit_code, 2);                     // no --out
  const CliResult help = run("--help");
  EXPECT_EQ(help.exit_code, 0);
  EXPECT_NE(help.out.find("bench-v2lite16"), std::string::npos);
  const CliResult io = run("--arch deepseek2 --preset tiny --vocab /nonexistent.gguf --out '" + dir_ + "/v.gguf'");
  EXPECT_EQ(io.exit_code, 1);
  EXPECT_FALSE(std::filesystem::exists(dir_ + "/v.gguf"));
}

}  // namespace
}  // namespace dsv4::test
