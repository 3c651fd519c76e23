// `dsv4 info`: describes any GGUF on stdout; every malformed file gives exit 1 and exactly one
// line on stderr; a bad command line gives exit 2.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>

#include "common/testdata.h"
#include "test_gguf_util.h"

namespace dsv4::test {
namespace {

CliResult run_info(const std::string &dir, const std::string &args) { return run_cli("info " + args, dir); }

size_t count_lines(const std::string &s) { return static_cast<size_t>(std::count(s.begin(), s.end(), '\n')); }

class GgufInfoCli : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!std::filesystem::exists(binary_path("dsv4"))) GTEST_SKIP() << "dsv4 binary not built";
    dir_ = make_temp_dir("gguf-info");
  }
  void TearDown() override {
    if (!dir_.empty()) std::filesystem::remove_all(dir_);
  }
  std::string dir_;
};

TEST_F(GgufInfoCli, DescribesAnyFile) {
  RawGguf g;
  std::vector<uint8_t> arr = enc<uint32_t>(5);  // 20 i32 elements: summarized
  append_pod<uint64_t>(arr, 20);
  for (int32_t i = 0; i < 20; ++i) append_pod(arr, i);
  g.kv_str("general.architecture", "not-a-supported-arch").kv("list", 9, arr).kv_str("tmpl", "a\tb\nc");
  g.tensor("w", GGML_IQ2_XXS, {512, 3}).tensor("b", GGML_F32, {7});
  const std::string p = dir_ + "/any.gguf";
  write_file(p, g.bytes());
  const CliResult r = run_info(dir_, "--model '" + p + "'");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.err, "");
  for (const char *line : {"version\t3\n", "alignment\t32\n", "splits\t1\n", "kv_count\t3\n",
                                  "kv\tgeneral.architecture\tstring\tnot-a-supported-arch\n",
                                  "kv\tlist\tarray[i32]\t20\t[0, 1, 2, 3, 4, 5, 6, 7, ...]\n", "kv\ttmpl\tstring\ta\\tb\\nc\n",
                                  "tensor\tw\tiq2_xxs\t[512, 3]\t396\t0\n", "tensor\tb\tf32\t[7]\t28\t0\n",
                                  "type_total\tiq2_xxs\t1\t1536\t396\n", "type_total\tf32\t1\t7\t28\n",
                                  "params\t1543\n", "bytes\t424\n"})
    EXPECT_NE(r.out.find(line), std::string::npos) << "missing: " << line << "in:\n" << r.out;
}

TEST_F(GgufInfoCli, MalformedFilesExitOneWithOneLine) {
  std::vector<std::pair<std::string, std::vector<uint8_t>>> cases = {
      {"magic", RawGguf().magic("GGML").bytes()},
      {"version", RawGguf().version(7).bytes()},
      {"nkv", RawGguf().n_kv(1000).bytes()},
      {"dupkey", RawGguf().kv_u32("a", 1).kv_u32("a", 2).bytes()},
      {"type", [] { RawGguf g; g.tensor("t", 43, {4}); return g.data_bytes(16).bytes(); }()},
      {"block", [] { RawGguf g; g.tensor("t", GGML_Q4_0, {33}); return g.data_bytes(32).bytes(); }()},
      {"eof", [] { RawGguf g; g.tensor("t", GGML_F32, {64}); return g.data_bytes(8).bytes(); }()},
      {"empty", {}},
  };
  for (const auto &[name, bytes] : cases) {
    SCOPED_TRACE(name);
    const std::string p = dir_ + "/" + name + ".gguf";
    write_file(p, bytes);
    const CliResult r = run_info(dir_, "--model '" + p + "'");
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_EQ(r.out, "");
    EXPECT_EQ(count_lines(r.err), 1u) << r.err;
    EXPECT_NE(r.err.find("DSV4_ERR_FORMAT"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find(p), std::string::npos) << r.err;
  }
  const CliResult missing = run_info(dir_, "--model '" + dir_ + "/absent.gguf'");
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_EQ(count_lines(missing.err), 1u);
  EXPECT_NE(missing.err.find("DSV4_ERR_IO"), std::string::npos) << missing.err;
}

TEST_F(GgufInfoCli, UsageErrorsExitTwo) {
  EXPECT_EQ(run_info(dir_, "").exit_code, 2);
  EXPECT_EQ(run_info(dir_, "--bogus x").exit_code, 2);
  EXPECT_EQ(run_info(dir_, "stray").exit_code, 2);
}

TEST_F(GgufInfoCli, TestdataModels) {
  const std::string p = testdata_path("models/dsv4-tiny-b-mxfp4.gguf");
  if (!std::filesystem::exists(p)) GTEST_SKIP() << "missing " << p;
  const CliResult r = run_info(dir_, "--model '" + p + "'");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  for (const char *needle : {"type_total\tmxfp4\t", "type_total\ti32\t", "kv\tgeneral.architecture\tstring\tdeepseek4\n"})
    EXPECT_NE(r.out.find(needle), std::string::npos) << needle;
}

}  // namespace
}  // namespace dsv4::test
