// GGUF writer -> reader round trips: every metadata type, tensors of several types and shapes,
// v2 headers, custom alignment, split sets, use_mmap on/off, load_data off, progress.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <random>
#include <set>

#include "common/testdata.h"
#include "test_gguf_util.h"

namespace dsv4::test {
namespace {

using gguf::File;
using gguf::OpenOptions;
using gguf::Value;
using gguf::ValueType;
using gguf::Writer;

Value scalar(ValueType t, int64_t i) {
  Value v;
  v.type = t;
  v.i = i;
  return v;
}
Value real(ValueType t, double f) {
  Value v;
  v.type = t;
  v.f = f;
  return v;
}
Value int_array(ValueType elem, std::vector<int64_t> xs) {
  Value v;
  v.type = ValueType::ARRAY;
  v.elem = elem;
  v.ints = std::move(xs);
  return v;
}
Value float_array(ValueType elem, std::vector<double> xs) {
  Value v;
  v.type = ValueType::ARRAY;
  v.elem = elem;
  v.floats = std::move(xs);
  return v;
}
Value string_array(std::vector<std::string> xs) {
  Value v;
  v.type = ValueType::ARRAY;
  v.elem = ValueType::STRING;
  v.strings = std::move(xs);
  return v;
}
Value nested_array(ValueType inner_elem, std::vector<Value> inner) {
  Value v;
  v.type = ValueType::ARRAY;
  v.elem = ValueType::ARRAY;
  for (Value &x : inner) EXPECT_EQ(x.elem, inner_elem);
  v.nested = std::move(inner);
  return v;
}

void expect_value_eq(const Value &a, const Value &b, const std::string &key) {
  SCOPED_TRACE(key);
  ASSERT_EQ(a.type, b.type);
  switch (a.type) {
    case ValueType::F32:
    case ValueType::F64: EXPECT_EQ(a.f, b.f); return;
    case ValueType::STRING: EXPECT_EQ(a.s, b.s); return;
    case ValueType::ARRAY:
      ASSERT_EQ(a.elem, b.elem);
      ASSERT_EQ(a.array_size(), b.array_size());
      EXPECT_EQ(a.ints, b.ints);
      EXPECT_EQ(a.floats, b.floats);
      EXPECT_EQ(a.strings, b.strings);
      for (size_t i = 0; i < a.nested.size(); ++i) expect_value_eq(a.nested[i], b.nested[i], key + "[" + std::to_string(i) + "]");
      return;
    default: EXPECT_EQ(a.i, b.i); return;
  }
}

// Every scalar type at its extremes, arrays of every element type, strings, nested arrays.
std::vector<std::pair<std::string, Value>> all_metadata() {
  std::vector<std::pair<std::string, Value>> kv = {
      {"t.u8", scalar(ValueType::U8, 255)},
      {"t.i8", scalar(ValueType::I8, -128)},
      {"t.u16", scalar(ValueType::U16, 65535)},
      {"t.i16", scalar(ValueType::I16, -32768)},
      {"t.u32", scalar(ValueType::U32, 4294967295LL)},
      {"t.i32", scalar(ValueType::I32, INT32_MIN)},
      {"t.u64", scalar(ValueType::U64, -1)},  // bit pattern of UINT64_MAX
      {"t.u64.small", scalar(ValueType::U64, 12345)},
      {"t.i64", scalar(ValueType::I64, INT64_MIN)},
      {"t.f32", real(ValueType::F32, 1.5)},
      {"t.f64", real(ValueType::F64, 3.141592653589793)},
      {"t.f32.inf", real(ValueType::F32, INFINITY)},
      {"t.bool.true", scalar(ValueType::BOOL, 1)},
      {"t.bool.false", scalar(ValueType::BOOL, 0)},
      {"t.a.u8", int_array(ValueType::U8, {0, 1, 255})},
      {"t.a.i8", int_array(ValueType::I8, {-128, 0, 127})},
      {"t.a.u16", int_array(ValueType::U16, {0, 65535})},
      {"t.a.i16", int_array(ValueType::I16, {-32768, 32767})},
      {"t.a.u32", int_array(ValueType::U32, {0, 4294967295LL, 7})},
      {"t.a.i32", int_array(ValueType::I32, {INT32_MIN, -1, INT32_MAX})},
      {"t.a.u64", int_array(ValueType::U64, {0, 1, -1})},
      {"t.a.i64", int_array(ValueType::I64, {INT64_MIN, INT64_MAX})},
      {"t.a.bool", int_array(ValueType::BOOL, {1, 0, 1})},
      {"t.a.f32", float_array(ValueType::F32, {0.25, -2.0, 0x1p-100})},  // exact in f32
      {"t.a.f64", float_array(ValueType::F64, {1e300, -0.1})},
      {"t.a.empty", int_array(ValueType::I32, {})},
      {"t.a.str", string_array({"", "hello", "Ġwörld ✓", std::string("nul\0inside", 10)})},
  };
  Value s;
  s.type = ValueType::STRING;
  s.s = "a string with\nnewlines\tand tabs";
  kv.push_back({"t.string", s});
  Value empty;
  empty.type = ValueType::STRING;
  kv.push_back({"t.string.empty", empty});
  kv.push_back({"t.nested.u8", nested_array(ValueType::U8, {int_array(ValueType::U8, {1, 2}), int_array(ValueType::U8, {}),
                                                            int_array(ValueType::U8, {3})})});
  kv.push_back({"t.nested.str", nested_array(ValueType::STRING, {string_array({"x", "yy"}), string_array({"zzz"})})});
  kv.push_back({"t.nested.deep", nested_array(ValueType::ARRAY, {nested_array(ValueType::F32, {float_array(ValueType::F32, {0.5})})})});
  return kv;
}

struct TensorSpec {
  std::string name;
  uint32_t type;
  std::vector<int64_t> ne;
};

// Several types (computable, rejected and plain) and shapes from 0 to 4 dims, incl. empty ones.
std::vector<TensorSpec> tensor_specs() {
  return {
      {"f32.vec", GGML_F32, {7}},
      {"f16.mat", GGML_F16, {3, 5}},
      {"bf16.mat", GGML_BF16, {8, 2}},
      {"q4_0.mat", GGML_Q4_0, {64, 3}},
      {"q8_0.3d", GGML_Q8_0, {32, 2, 3}},
      {"q4_k.3d", GGML_Q4_K, {256, 2, 2}},
      {"q6_k.mat", GGML_Q6_K, {512, 1}},
      {"mxfp4.4d", GGML_MXFP4, {32, 4, 2, 3}},
      {"i32.vec", GGML_I32, {5}},
      {"iq2_xxs.rejected", GGML_IQ2_XXS, {256, 2}},
      {"empty.rows", GGML_F32, {4, 0}},
      {"scalar", GGML_F32, {}},
      {"q2_0.last", GGML_Q2_0, {64}},
  };
}

uint64_t spec_bytes(const TensorSpec &t) {
  RawGguf::Tensor r{t.name, t.type, t.ne, std::nullopt, std::nullopt};
  return RawGguf::nbytes(r);
}

std::vector<uint8_t> random_bytes(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::vector<uint8_t> b(n);
  for (uint8_t &x : b) x = static_cast<uint8_t>(rng());
  return b;
}

class GgufRoundTrip : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = make_temp_dir("gguf-rt"); }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string path(const std::string &name) const { return dir_ + "/" + name; }

  // Writes all_metadata() and tensor_specs() with their data; returns the data by tensor.
  std::vector<std::vector<uint8_t>> write_full(const std::string &p, uint32_t alignment = 32) {
    Writer w(p, alignment);
    for (auto &[k, v] : all_metadata()) w.set(k, v);
    w.set_string("general.architecture", "test");
    std::vector<std::vector<uint8_t>> data;
    uint32_t seed = 1;
    for (const TensorSpec &t : tensor_specs()) {
      w.add_tensor(t.name, t.type, t.ne);
      data.push_back(random_bytes(spec_bytes(t), seed++));
    }
    const auto specs = tensor_specs();
    for (size_t i = 0; i < specs.size(); ++i) w.write_tensor(specs[i].name, data[i].data(), data[i].size());
    w.finish();
    return data;
  }

  void check_full(const File &f, const std::vector<std::vector<uint8_t>> &data, bool loaded, uint32_t alignment = 32) {
    EXPECT_EQ(f.alignment(), alignment);
    EXPECT_EQ(f.n_splits(), 1u);
    for (auto &[k, v] : all_metadata()) {
      const Value *got = f.find(k);
      ASSERT_NE(got, nullptr) << k;
      expect_value_eq(v, *got, k);
    }
    EXPECT_EQ(f.get_string("general.architecture"), "test");
    const auto specs = tensor_specs();
    ASSERT_EQ(f.tensors().size(), specs.size());
    for (size_t i = 0; i < specs.size(); ++i) {
      SCOPED_TRACE(specs[i].name);
      const gguf::TensorInfo &t = f.tensors()[i];
      EXPECT_EQ(t.name, specs[i].name);
      EXPECT_EQ(t.type, specs[i].type);
      EXPECT_EQ(t.n_dims, specs[i].ne.size());
      for (size_t d = 0; d < 4; ++d) EXPECT_EQ(t.ne[d], d < specs[i].ne.size() ? specs[i].ne[d] : 1);
      EXPECT_EQ(t.nbytes, data[i].size());
      EXPECT_EQ(t.offset % alignment, 0u);
      EXPECT_EQ(f.find_tensor(specs[i].name), &t);
      if (!loaded) {
        EXPECT_EQ(t.data, nullptr);
        continue;
      }
      ASSERT_NE(t.data, nullptr);
      EXPECT_EQ(reinterpret_cast<uintptr_t>(t.data) % std::min<uint32_t>(alignment, 4096), 0u);
      if (!data[i].empty()) {
        EXPECT_EQ(std::memcmp(t.data, data[i].data(), data[i].size()), 0);
      }
    }
    EXPECT_EQ(f.find_tensor("absent"), nullptr);
    EXPECT_EQ(f.find("absent"), nullptr);
  }

  std::string dir_;
};

TEST_F(GgufRoundTrip, EveryMetadataTypeAndTensorMmap) {
  const std::string p = path("full.gguf");
  auto data = write_full(p);
  auto f = File::open(p);
  EXPECT_EQ(f->version(), 3u);
  EXPECT_EQ(f->path(), p);
  EXPECT_EQ(f->split_path(0), p);
  EXPECT_EQ(f->file_bytes(), std::filesystem::file_size(p));
  check_full(*f, data, true);
  // Metadata keeps the written order.
  const auto expected = all_metadata();
  ASSERT_EQ(f->metadata().size(), expected.size() + 1);
  for (size_t i = 0; i < expected.size(); ++i) EXPECT_EQ(f->metadata()[i].key, expected[i].first);
}

TEST_F(GgufRoundTrip, ReadIntoMemory) {
  const std::string p = path("full.gguf");
  auto data = write_full(p);
  OpenOptions o;
  o.use_mmap = false;
  check_full(*File::open(p, o), data, true);
}

TEST_F(GgufRoundTrip, LoadDataOffLeavesPointersNull) {
  const std::string p = path("full.gguf");
  auto data = write_full(p);
  for (bool mmap : {true, false}) {
    OpenOptions o;
    o.use_mmap = mmap;
    o.load_data = false;
    check_full(*File::open(p, o), data, false);
  }
}

TEST_F(GgufRoundTrip, OpenBytesMatchesOpen) {
  const std::string p = path("full.gguf");
  auto data = write_full(p);
  const std::vector<uint8_t> img = read_bytes(p);
  check_full(*File::open_bytes(img.data(), img.size(), "image.gguf"), data, true);
  OpenOptions o;
  o.load_data = false;
  check_full(*File::open_bytes(img.data(), img.size(), "image.gguf", o), data, false);
}

TEST_F(GgufRoundTrip, VersionTwoHeader) {
  const std::string p = path("full.gguf");
  auto data = write_full(p);
  std::vector<uint8_t> img = read_bytes(p);
  patch<uint32_t>(img, 4, 2);  // v2 has the v3 layout (spec §3.1)
  auto f = File::open_bytes(img.data(), img.size(), "v2.gguf");
  EXPECT_EQ(f->version(), 2u);
  check_full(*f, data, true);
}

TEST_F(GgufRoundTrip, CustomAlignment) {
  for (uint32_t a : {1u, 8u, 64u, 4096u}) {
    SCOPED_TRACE(a);
    const std::string p = path("align" + std::to_string(a) + ".gguf");
    auto data = write_full(p, a);
    auto f = File::open(p);
    check_full(*f, data, true, a);
    if (a != 32) {
      EXPECT_EQ(f->get_int("general.alignment"), a);
    }
    OpenOptions o;
    o.use_mmap = false;
    check_full(*File::open(p, o), data, true, a);
  }
}

TEST_F(GgufRoundTrip, ExplicitAlignmentKeyMustAgree) {
  {
    Writer w(path("ok.gguf"), 64);
    w.set_u32("general.alignment", 64);
    w.finish();
    EXPECT_EQ(File::open(path("ok.gguf"))->alignment(), 64u);
  }
  Writer w(path("bad.gguf"), 64);
  w.set_u32("general.alignment", 32);
  expect_error([&] { w.finish(); }, DSV4_ERR_INVALID_ARGUMENT, {"general.alignment"});
}

TEST_F(GgufRoundTrip, StreamedTensorInPieces) {
  const std::string p = path("pieces.gguf");
  const std::vector<uint8_t> data = random_bytes(34 * 4 * 3, 7);
  {
    Writer w(p);
    w.add_tensor("a", GGML_Q8_0, {128, 3});
    w.add_tensor("b", GGML_F32, {1});
    w.begin_data();
    w.begin_tensor("a");
    w.append(data.data(), 5);
    w.append(data.data() + 5, 0);
    w.append(data.data() + 5, data.size() - 5);
    w.end_tensor();
    const float one = 1.0f;
    w.write_tensor("b", &one, 4);
    w.finish();
  }
  auto f = File::open(p);
  ASSERT_EQ(f->tensors().size(), 2u);
  EXPECT_EQ(std::memcmp(f->tensors()[0].data, data.data(), data.size()), 0);
  EXPECT_EQ(f->tensors()[1].offset, (data.size() + 31) / 32 * 32);
  float b;
  std::memcpy(&b, f->tensors()[1].data, 4);
  EXPECT_EQ(b, 1.0f);
}

TEST_F(GgufRoundTrip, NoTensorsFileEndsAfterMetadata) {
  const std::string p = path("vocab.gguf");
  {
    Writer w(p);
    w.set_string_array("tokenizer.ggml.tokens", {"a", "b"});
    w.finish();
  }
  // Nothing after the last KV: key(8+21) + type 4 + elem 4 + count 8 + 2 strings of 9.
  EXPECT_EQ(std::filesystem::file_size(p), 24u + 8 + 21 + 4 + 4 + 8 + 9 + 9);
  auto f = File::open(p);
  EXPECT_TRUE(f->tensors().empty());
  ASSERT_NE(f->get_string_array("tokenizer.ggml.tokens"), nullptr);
  EXPECT_EQ(f->get_string_array("tokenizer.ggml.tokens")->size(), 2u);
}

TEST_F(GgufRoundTrip, TypedGetters) {
  const std::string p = path("full.gguf");
  write_full(p);
  auto f = File::open(p);
  EXPECT_EQ(f->get_int("t.u8"), 255);
  EXPECT_EQ(f->get_int("t.i8"), -128);
  EXPECT_EQ(f->get_int("t.u32"), 4294967295LL);
  EXPECT_EQ(f->get_int("t.i64"), INT64_MIN);
  EXPECT_EQ(f->get_int("t.u64.small"), 12345);
  EXPECT_EQ(f->get_int("absent"), std::nullopt);
  EXPECT_EQ(f->get_float("t.f32"), 1.5);
  EXPECT_EQ(f->get_float("t.f64"), 3.141592653589793);
  EXPECT_EQ(f->get_bool("t.bool.true"), true);
  EXPECT_EQ(f->get_bool("t.bool.false"), false);
  EXPECT_EQ(f->get_string("t.string"), "a string with\nnewlines\tand tabs");
  EXPECT_EQ(f->get_int_array("t.a.u16"), (std::vector<int64_t>{0, 65535}));
  EXPECT_EQ(f->get_int_array("t.a.i32"), (std::vector<int64_t>{INT32_MIN, -1, INT32_MAX}));
  EXPECT_EQ(f->get_int_array("t.a.empty"), std::vector<int64_t>{});
  EXPECT_EQ(f->get_string_array("absent"), nullptr);
  EXPECT_EQ(f->get_string_array("t.a.str")->at(2), "Ġwörld ✓");

  const std::string file = p + ": key '";
  expect_error([&] { f->get_int("t.u64"); }, DSV4_ERR_FORMAT, {file + "t.u64'", "18446744073709551615", "int64"});
  expect_error([&] { f->get_int("t.f32"); }, DSV4_ERR_FORMAT, {file + "t.f32'", "type f32", "integer"});
  expect_error([&] { f->get_int("t.bool.true"); }, DSV4_ERR_FORMAT, {"t.bool.true", "type bool"});
  expect_error([&] { f->get_float("t.u32"); }, DSV4_ERR_FORMAT, {"t.u32", "type u32"});
  expect_error([&] { f->get_bool("t.u8"); }, DSV4_ERR_FORMAT, {"t.u8", "type u8"});
  expect_error([&] { f->get_string("t.a.str"); }, DSV4_ERR_FORMAT, {"t.a.str", "type array of string"});
  expect_error([&] { f->get_int_array("t.a.f32"); }, DSV4_ERR_FORMAT, {"t.a.f32", "array of f32"});
  expect_error([&] { f->get_int_array("t.a.u64"); }, DSV4_ERR_FORMAT, {"t.a.u64", "18446744073709551615"});
  expect_error([&] { f->get_int_array("t.u8"); }, DSV4_ERR_FORMAT, {"t.u8", "integer array"});
  expect_error([&] { f->get_string_array("t.a.i8"); }, DSV4_ERR_FORMAT, {"t.a.i8", "string array"});
  expect_error([&] { f->split_path(1); }, DSV4_ERR_INVALID_ARGUMENT, {"split index 1"});
  EXPECT_STREQ(gguf::value_type_name(ValueType::F64), "f64");
  EXPECT_STREQ(gguf::value_type_name(static_cast<ValueType>(13)), "?");
}

TEST_F(GgufRoundTrip, ProgressIsMonotoneAndCancels) {
  const std::string p = path("full.gguf");
  write_full(p);
  for (bool mmap : {true, false}) {
    std::vector<float> seen;
    OpenOptions o;
    o.use_mmap = mmap;
    o.progress = [&](float x) {
      seen.push_back(x);
      return true;
    };
    File::open(p, o);
    ASSERT_GE(seen.size(), 2u);
    EXPECT_EQ(seen.back(), 1.0f);
    for (size_t i = 1; i < seen.size(); ++i) EXPECT_GE(seen[i], seen[i - 1]);
    o.progress = [](float) { return false; };
    expect_error([&] { File::open(p, o); }, DSV4_CANCELLED, {p, "cancelled"});
    int calls = 0;
    o.progress = [&](float) { return ++calls < 2; };  // cancel later, after the header
    expect_error([&] { File::open(p, o); }, DSV4_CANCELLED, {"cancelled"});
  }
}

TEST_F(GgufRoundTrip, OwnedBytesLimit) {
  const std::string p = path("full.gguf");
  write_full(p);
  OpenOptions o;
  o.use_mmap = false;
  o.owned_bytes_limit = 100;
  expect_error([&] { File::open(p, o); }, DSV4_ERR_OUT_OF_MEMORY, {p, "memory limit"});
  o.use_mmap = true;  // mapped bytes are not counted
  EXPECT_NO_THROW(File::open(p, o));
}

// ---------------------------------------------------------------------------------------------
// Split sets (spec §3.5), written with the writer the way gguf-split lays them out.

class GgufSplits : public GgufRoundTrip {
 protected:
  static std::string split_name(int i, int n) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "model-%05d-of-%05d.gguf", i, n);
    return buf;
  }

  // Three splits, two tensors each; metadata only in the first. Returns data by tensor name order.
  std::vector<std::vector<uint8_t>> write_splits(int n = 3, int dup_in = -1, int32_t tensors_count = -1,
                                                 int bad_no_in = -1) {
    std::vector<std::vector<uint8_t>> data;
    for (int i = 0; i < n; ++i) {
      Writer w(path(split_name(i + 1, n)), i == 1 ? 64 : 32);
      if (i == 0) w.set_string("general.architecture", "test");
      w.set("split.no", [&] {
        Value v;
        v.type = ValueType::U16;
        v.i = i == bad_no_in ? 7 : i;
        return v;
      }());
      Value c;
      c.type = ValueType::U16;
      c.i = n;
      w.set("split.count", c);
      w.set_i32("split.tensors.count", tensors_count >= 0 ? tensors_count : 2 * n);
      std::vector<std::string> names;
      for (int k = 0; k < 2; ++k) {
        names.push_back(i == dup_in && k == 0 ? "t0.0" : "t" + std::to_string(i) + "." + std::to_string(k));
        w.add_tensor(names.back(), GGML_F32, {4 + k, 2});
      }
      for (int k = 0; k < 2; ++k) {
        data.push_back(random_bytes((4 + k) * 2 * 4, 100 + i * 2 + k));
        w.write_tensor(names[k], data.back().data(), data.back().size());
      }
      w.finish();
    }
    return data;
  }
};

TEST_F(GgufSplits, OpenedViaTheFirst) {
  auto data = write_splits();
  const std::string first = path(split_name(1, 3));
  uint64_t total = 0;
  for (int i = 1; i <= 3; ++i) total += std::filesystem::file_size(path(split_name(i, 3)));
  for (bool mmap : {true, false}) {
    for (bool load : {true, false}) {
      SCOPED_TRACE(std::to_string(mmap) + std::to_string(load));
      OpenOptions o;
      o.use_mmap = mmap;
      o.load_data = load;
      int progress_calls = 0;
      o.progress = [&](float) { return ++progress_calls > 0; };
      auto f = File::open(first, o);
      EXPECT_GE(progress_calls, 3);
      EXPECT_EQ(f->n_splits(), 3u);
      EXPECT_EQ(f->path(), first);
      EXPECT_EQ(f->split_path(2), path(split_name(3, 3)));
      EXPECT_EQ(f->file_bytes(), total);
      EXPECT_EQ(f->alignment(), 32u);
      EXPECT_EQ(f->get_string("general.architecture"), "test");
      ASSERT_EQ(f->tensors().size(), 6u);
      for (size_t k = 0; k < 6; ++k) {
        const gguf::TensorInfo &t = f->tensors()[k];
        EXPECT_EQ(t.name, "t" + std::to_string(k / 2) + "." + std::to_string(k % 2));
        EXPECT_EQ(t.split, k / 2);
        EXPECT_EQ(f->find_tensor(t.name), &t);
        if (load) {
          ASSERT_NE(t.data, nullptr);
          EXPECT_EQ(std::memcmp(t.data, data[k].data(), data[k].size()), 0);
        } else {
          EXPECT_EQ(t.data, nullptr);
        }
      }
      EXPECT_EQ(f->tensors()[1].offset, 32u);  // 4*2*4 = 32 bytes padded to 32
      EXPECT_EQ(f->tensors()[3].offset, 64u);  // split 2 uses its own alignment, 64
    }
  }
}

TEST_F(GgufSplits, OpeningALaterSplitNamesTheFirst) {
  write_splits();
  expect_error([&] { File::open(path(split_name(2, 3))); }, DSV4_ERR_INVALID_ARGUMENT,
               {"split 2 of 3", "-00001-of-00003.gguf"});
}

TEST_F(GgufSplits, MissingSplitIsIo) {
  write_splits();
  std::filesystem::remove(path(split_name(3, 3)));
  expect_error([&] { File::open(path(split_name(1, 3))); }, DSV4_ERR_IO, {"cannot open", split_name(3, 3)});
}

TEST_F(GgufSplits, DuplicateTensorAcrossSplits) {
  write_splits(3, 2);
  expect_error([&] { File::open(path(split_name(1, 3))); }, DSV4_ERR_FORMAT,
               {split_name(3, 3), "tensor 't0.0' is also in", split_name(1, 3)});
}

TEST_F(GgufSplits, TensorCountMismatch) {
  write_splits(3, -1, 5);
  expect_error([&] { File::open(path(split_name(1, 3))); }, DSV4_ERR_FORMAT, {"split.tensors.count' = 5", "hold 6"});
}

TEST_F(GgufSplits, WrongSplitNumber) {
  write_splits(3, -1, -1, 2);
  expect_error([&] { File::open(path(split_name(1, 3))); }, DSV4_ERR_FORMAT, {split_name(3, 3), "split.no' is 7, expected 2"});
}

TEST_F(GgufSplits, NameWithoutSuffix) {
  write_splits();
  std::filesystem::copy_file(path(split_name(1, 3)), path("renamed.gguf"));
  expect_error([&] { File::open(path("renamed.gguf")); }, DSV4_ERR_FORMAT, {"renamed.gguf", "-00001-of-00003.gguf"});
  const std::vector<uint8_t> img = read_bytes(path(split_name(1, 3)));
  expect_error([&] { File::open_bytes(img.data(), img.size(), "img"); }, DSV4_ERR_INVALID_ARGUMENT, {"img", "split"});
}

// ---------------------------------------------------------------------------------------------
// Writer misuse and write failures.

TEST_F(GgufRoundTrip, WriterMisuse) {
  const float four[4] = {};
  {
    Writer w(path("a.gguf"));
    w.add_tensor("x", GGML_F32, {4});
    w.add_tensor("y", GGML_F32, {4});
    expect_error([&] { w.write_tensor("y", four, 16); }, DSV4_ERR_INVALID_ARGUMENT, {"expected tensor 'x'"});
    expect_error([&] { w.write_tensor("x", four, 12); }, DSV4_ERR_INVALID_ARGUMENT, {"tensor 'x'", "12 bytes", "16"});
  }
  {
    Writer w(path("b.gguf"));
    w.add_tensor("x", GGML_F32, {4});
    w.begin_data();
    expect_error([&] { w.set_u32("k", 1); }, DSV4_ERR_INVALID_ARGUMENT, {"set('k')"});
    expect_error([&] { w.add_tensor("z", GGML_F32, {4}); }, DSV4_ERR_INVALID_ARGUMENT, {"tensor 'z'"});
    expect_error([&] { w.finish(); }, DSV4_ERR_INVALID_ARGUMENT, {"tensor 'x' was not written"});
    w.write_tensor("x", four, 16);
    expect_error([&] { w.write_tensor("x", four, 16); }, DSV4_ERR_INVALID_ARGUMENT, {"all declared tensors"});
    w.finish();
    expect_error([&] { w.finish(); }, DSV4_ERR_INVALID_ARGUMENT, {"after finish"});
  }
  Writer w(path("c.gguf"));
  expect_error([&] { w.add_tensor("q", GGML_Q4_0, {33}); }, DSV4_ERR_INVALID_ARGUMENT, {"ne[0]=33", "q4_0", "32"});
  expect_error([&] { w.add_tensor("r", 4, {32}); }, DSV4_ERR_INVALID_ARGUMENT, {"type id 4"});
  expect_error([&] { w.add_tensor("r", 43, {32}); }, DSV4_ERR_INVALID_ARGUMENT, {"type id 43"});
  expect_error([&] { w.add_tensor(std::string(64, 'n'), GGML_F32, {1}); }, DSV4_ERR_INVALID_ARGUMENT, {"longer than 63"});
  expect_error([&] { w.add_tensor("d", GGML_F32, {1, 1, 1, 1, 1}); }, DSV4_ERR_INVALID_ARGUMENT, {"4 dimensions"});
  expect_error([&] { w.add_tensor("d", GGML_F32, {-1}); }, DSV4_ERR_INVALID_ARGUMENT, {"negative"});
  w.add_tensor("d", GGML_F32, {1});
  expect_error([&] { w.add_tensor("d", GGML_F32, {1}); }, DSV4_ERR_INVALID_ARGUMENT, {"duplicate"});
  expect_error([&] { w.set("u8", scalar(ValueType::U8, 256)); }, DSV4_ERR_INVALID_ARGUMENT, {"key 'u8'", "256", "u8"});
  expect_error([&] { w.set("b", scalar(ValueType::BOOL, 2)); }, DSV4_ERR_INVALID_ARGUMENT, {"key 'b'"});
  expect_error([&] { w.set("a", int_array(ValueType::I8, {200})); }, DSV4_ERR_INVALID_ARGUMENT, {"key 'a'", "200"});
  Value bad_nested = int_array(ValueType::ARRAY, {});
  bad_nested.nested.push_back(scalar(ValueType::U8, 1));
  expect_error([&] { w.set("n", bad_nested); }, DSV4_ERR_INVALID_ARGUMENT, {"key 'n'", "not an array"});
  expect_error([&] { Writer bad(path("d.gguf"), 48); }, DSV4_ERR_INVALID_ARGUMENT, {"alignment 48"});
}

TEST_F(GgufRoundTrip, SetReplacesExistingKey) {
  const std::string p = path("replace.gguf");
  {
    Writer w(p);
    w.set_u32("k", 1);
    w.set_string("s", "x");
    w.set_u32("k", 2);
    w.set_f32_array("fa", {1.0f, 2.5f});
    w.set_i32_array("ia", {-1, 3});
    w.set_u64("big", UINT64_MAX);
    w.set_bool("flag", true);
    w.set_i32("neg", -5);
    w.set_f32("f", 0.125f);
    w.finish();
  }
  auto f = File::open(p);
  EXPECT_EQ(f->metadata().size(), 8u);
  EXPECT_EQ(f->metadata()[0].key, "k");
  EXPECT_EQ(f->get_int("k"), 2);
  EXPECT_EQ(f->find("fa")->floats, (std::vector<double>{1.0, 2.5}));
  EXPECT_EQ(f->get_int_array("ia"), (std::vector<int64_t>{-1, 3}));
  EXPECT_EQ(static_cast<uint64_t>(f->find("big")->i), UINT64_MAX);
  EXPECT_EQ(f->get_bool("flag"), true);
  EXPECT_EQ(f->get_int("neg"), -5);
  EXPECT_EQ(f->get_float("f"), 0.125);
}

TEST_F(GgufRoundTrip, WriteFailuresAreIo) {
  expect_error([&] { Writer w(path("no/such/dir/x.gguf")); }, DSV4_ERR_IO, {"no/such/dir/x.gguf"});
  if (!std::filesystem::exists("/dev/full")) GTEST_SKIP() << "no /dev/full";
  const std::vector<uint8_t> big(1 << 20, 1);
  expect_error(
      [&] {
        Writer w("/dev/full");
        w.add_tensor("x", GGML_I8, {static_cast<int64_t>(big.size())});
        w.write_tensor("x", big.data(), big.size());
        w.finish();
      },
      DSV4_ERR_IO, {"/dev/full"});
}

// ---------------------------------------------------------------------------------------------
// The published test files.

std::vector<std::string> gguf_files_in(const std::string &dir) {
  std::vector<std::string> out;
  if (!std::filesystem::is_directory(dir)) return out;
  for (const auto &e : std::filesystem::directory_iterator(dir))
    if (e.path().extension() == ".gguf") out.push_back(e.path().string());
  std::sort(out.begin(), out.end());
  return out;
}

// Offsets back to back, sizes as the type table says, data inside the mapping.
void check_tensor_table(const File &f, bool loaded) {
  uint64_t expected = 0;
  std::vector<const uint8_t *> ends;
  for (const gguf::TensorInfo &t : f.tensors()) {
    SCOPED_TRACE(t.name);
    const TypeInfo *ti = type_info(t.type);
    ASSERT_NE(ti, nullptr);
    EXPECT_NE(ti->support, TypeSupport::kRemoved);
    EXPECT_EQ(t.ne[0] % ti->block_size, 0);
    EXPECT_EQ(t.nbytes, static_cast<uint64_t>(t.ne[0]) / ti->block_size * ti->type_size * t.ne[1] * t.ne[2] * t.ne[3]);
    EXPECT_EQ(t.offset, expected);
    expected = t.offset + (t.nbytes + f.alignment() - 1) / f.alignment() * f.alignment();
    EXPECT_EQ(f.find_tensor(t.name), &t);
    EXPECT_EQ(t.data != nullptr, loaded);
    EXPECT_LE(t.offset + t.nbytes, f.file_bytes());
  }
}

TEST(GgufTestdata, ModelsOpenAndTablesAreConsistent) {
  const auto files = gguf_files_in(testdata_path("models"));
  if (files.empty()) GTEST_SKIP() << "no testdata at " << testdata_path("models");
  for (const std::string &p : files) {
    SCOPED_TRACE(p);
    auto f = File::open(p);
    EXPECT_EQ(f->version(), 3u);
    EXPECT_EQ(f->alignment(), 32u);
    EXPECT_FALSE(f->tensors().empty());
    EXPECT_TRUE(f->get_string("general.architecture").has_value());
    check_tensor_table(*f, true);
    OpenOptions o;
    o.load_data = false;
    check_tensor_table(*File::open(p, o), false);
  }
}

TEST(GgufTestdata, MmapAndReadAgree) {
  const std::string p = testdata_path("models/ds3-tiny-q4_k.gguf");
  if (!std::filesystem::exists(p)) GTEST_SKIP() << "missing " << p;
  auto mapped = File::open(p);
  OpenOptions o;
  o.use_mmap = false;
  auto read = File::open(p, o);
  ASSERT_EQ(mapped->tensors().size(), read->tensors().size());
  std::set<uint32_t> types;
  for (size_t i = 0; i < read->tensors().size(); ++i) {
    const gguf::TensorInfo &a = mapped->tensors()[i], &b = read->tensors()[i];
    EXPECT_EQ(a.name, b.name);
    ASSERT_EQ(a.nbytes, b.nbytes);
    EXPECT_EQ(std::memcmp(a.data, b.data, a.nbytes), 0) << a.name;
    types.insert(a.type);
  }
  // The Q4_K_M-like mix named in the testdata README.
  for (uint32_t t : {GGML_F32, GGML_Q4_0, GGML_Q8_0, GGML_Q4_K, GGML_Q6_K}) EXPECT_TRUE(types.count(t)) << t;
}

TEST(GgufTestdata, VocabFilesOpenWithAndWithoutData) {
  const auto files = gguf_files_in(testdata_path("vocab"));
  if (files.empty()) GTEST_SKIP() << "no testdata at " << testdata_path("vocab");
  for (const std::string &p : files) {
    SCOPED_TRACE(p);
    for (bool load : {true, false}) {
      for (bool mmap : {true, false}) {
        OpenOptions o;
        o.load_data = load;
        o.use_mmap = mmap;
        auto f = File::open(p, o);
        EXPECT_TRUE(f->tensors().empty());
        const auto *tokens = f->get_string_array("tokenizer.ggml.tokens");
        ASSERT_NE(tokens, nullptr);
        EXPECT_GT(tokens->size(), 1000u);
        EXPECT_EQ(f->get_string("general.architecture"), "llama");
      }
    }
  }
}

}  // namespace
}  // namespace dsv4::test
