// Malformed deepseek4 files: copies of dsv4-tiny-f32 with one key or tensor changed must fail
// to load with DSV4_ERR_FORMAT (or UNSUPPORTED for valid values dsv4 does not run), naming the
// key or the tensor.
#include <gtest/gtest.h>

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "common/error.h"
#include "common/testdata.h"
#include "format/ggml_type.h"
#include "format/gguf.h"
#include "runtime/model.h"
#include "unit/test_v4_gguf_copy.h"

namespace dsv4::test {
namespace {

struct Edit {
  std::string drop_key;                                  // key to leave out
  std::function<void(gguf::Writer &)> set;               // keys to (re)write
  std::string drop_tensor;                               // tensor to leave out
  std::string reshape_tensor;                            // tensor written with this shape instead
  std::vector<int64_t> new_shape;
};

// Copies dsv4-tiny-f32.gguf with one edit; returns the new file's path.
std::string edited_copy(const Edit &e, const std::string &tag) {
  const std::string path = make_temp_dir("v4meta") + "/" + tag + ".gguf";
  copy_gguf(testdata_path("models/dsv4-tiny-f32.gguf"), path, e.drop_key, e.set,
            [&](const gguf::TensorInfo &t) -> std::vector<TensorOut> {
              if (t.name == e.drop_tensor) return {};
              if (t.name != e.reshape_tensor) return {same(t)};
              int64_t n = 1;
              for (int64_t d : e.new_shape) n *= d;
              return {TensorOut{t.name, t.type, e.new_shape, std::vector<uint8_t>(static_cast<size_t>(n) * 4, 0)}};
            });
  return path;
}

// Loads the file and returns the error (nullopt when it loads).
std::optional<Error> load_error(const std::string &path) {
  try {
    Model::load(path, ModelLoadOptions{});
  } catch (const Error &e) {
    return e;
  }
  return std::nullopt;
}

void expect_error(const Edit &e, const std::string &tag, dsv4_status status, const std::string &needle) {
  const auto err = load_error(edited_copy(e, tag));
  ASSERT_TRUE(err.has_value()) << tag << ": the file loaded";
  EXPECT_EQ(err->status(), status) << tag << ": " << err->what();
  EXPECT_NE(err->message().find(needle), std::string::npos) << tag << ": '" << err->what() << "' does not name " << needle;
}

TEST(Deepseek4Metadata, UneditedCopyLoads) {
  EXPECT_FALSE(load_error(edited_copy(Edit{}, "copy")).has_value());
}

TEST(Deepseek4Metadata, MissingKeysAreNamed) {
  for (const char *key : {"deepseek4.attention.sliding_window", "deepseek4.attention.compress_ratios",
                          "deepseek4.hyper_connection.count", "deepseek4.attention.indexer.top_k",
                          "deepseek4.swiglu_clamp_exp", "deepseek4.attention.output_group_count",
                          "deepseek4.attention.compress_rope_freq_base"}) {
    Edit e;
    e.drop_key = key;
    expect_error(e, std::string("missing-") + key, DSV4_ERR_FORMAT, key);
  }
}

TEST(Deepseek4Metadata, CompressRatiosShorterThanTheLayers) {
  Edit e;
  e.set = [](gguf::Writer &w) { w.set_i32_array("deepseek4.attention.compress_ratios", {0, 4, 128}); };
  expect_error(e, "short-ratios", DSV4_ERR_FORMAT, "deepseek4.attention.compress_ratios");
}

TEST(Deepseek4Metadata, BadValues) {
  Edit ratio;
  ratio.set = [](gguf::Writer &w) { w.set_i32_array("deepseek4.attention.compress_ratios", {0, 4, 64, 4, 0}); };
  expect_error(ratio, "ratio-64", DSV4_ERR_FORMAT, "compress_ratios");
  Edit groups;
  groups.set = [](gguf::Writer &w) { w.set_u32("deepseek4.attention.output_group_count", 3); };
  expect_error(groups, "groups", DSV4_ERR_FORMAT, "deepseek4.attention.output_group_count");
  Edit clamp;
  clamp.set = [](gguf::Writer &w) { w.set_f32_array("deepseek4.swiglu_clamp_shexp", {1.5f, 1.5f}); };
  expect_error(clamp, "short-clamp", DSV4_ERR_FORMAT, "deepseek4.swiglu_clamp_shexp");
  Edit gating;
  gating.set = [](gguf::Writer &w) { w.set_u32("deepseek4.expert_gating_func", 2); };
  expect_error(gating, "gating", DSV4_ERR_UNSUPPORTED, "deepseek4.expert_gating_func");
  Edit kv_len;
  kv_len.set = [](gguf::Writer &w) { w.set_u32("deepseek4.attention.value_length", 64); };
  expect_error(kv_len, "value-length", DSV4_ERR_FORMAT, "deepseek4.attention.value_length");
}

TEST(Deepseek4Metadata, TensorsAreNamed) {
  Edit shape;
  shape.reshape_tensor = "blk.1.attn_kv.weight";
  shape.new_shape = {64, 96};
  expect_error(shape, "shape", DSV4_ERR_FORMAT, "blk.1.attn_kv.weight");
  Edit ape;
  ape.reshape_tensor = "blk.2.attn_compressor_ape.weight";
  ape.new_shape = {128, 4};
  expect_error(ape, "ape", DSV4_ERR_FORMAT, "blk.2.attn_compressor_ape.weight");
  Edit missing;
  missing.drop_tensor = "blk.3.indexer.proj.weight";
  expect_error(missing, "missing-tensor", DSV4_ERR_FORMAT, "blk.3.indexer.proj.weight");
  Edit hash;
  hash.drop_tensor = "blk.0.ffn_gate_tid2eid.weight";
  expect_error(hash, "missing-tid2eid", DSV4_ERR_FORMAT, "blk.0.ffn_gate_tid2eid.weight");
}

}  // namespace
}  // namespace dsv4::test
