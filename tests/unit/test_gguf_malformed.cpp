// Malformed GGUF files: each must fail with a specific status and a message naming the file, the
// field and the value — never crash, read out of bounds or allocate what the header claims.
// Each image is tried three ways (open_bytes, mmap, read into memory): one parser, same verdict.
#include <gtest/gtest.h>

#include <filesystem>

#include "common/testdata.h"
#include "test_gguf_util.h"

namespace dsv4::test {
namespace {

using gguf::File;
using gguf::OpenOptions;

class GgufMalformed : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = make_temp_dir("gguf-bad"); }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  // Expects `status` and every needle; "model.gguf: " must start the open_bytes message.
  void expect_bad(const std::vector<uint8_t> &img, const std::vector<std::string> &needles,
                  dsv4_status status = DSV4_ERR_FORMAT) {
    std::vector<std::string> with_name = needles;
    with_name.push_back("model.gguf: ");
    {
      SCOPED_TRACE("open_bytes");
      expect_error([&] { File::open_bytes(img.data(), img.size(), "model.gguf"); }, status, with_name);
    }
    const std::string p = dir_ + "/model.gguf";
    write_file(p, img);
    for (bool mmap : {true, false}) {
      SCOPED_TRACE(mmap ? "mmap" : "read");
      OpenOptions o;
      o.use_mmap = mmap;
      expect_error([&] { File::open(p, o); }, status, needles);
    }
  }

  std::string dir_;
};

RawGguf one_tensor(uint32_t type, std::vector<int64_t> ne, std::string name = "blk.0.attn_q.weight") {
  RawGguf g;
  g.kv_str("general.architecture", "test").tensor(std::move(name), type, std::move(ne));
  return g;
}

// --- header -----------------------------------------------------------------------------------

TEST_F(GgufMalformed, BadMagic) { expect_bad(RawGguf().magic("GGML").bytes(), {"bad magic 47 47 4d 4c", "GGUF"}); }

TEST_F(GgufMalformed, VersionZeroOneAndFour) {
  expect_bad(RawGguf().version(0).bytes(), {"unsupported version 0"});
  expect_bad(RawGguf().version(1).bytes(), {"version 1 is not supported"});
  expect_bad(RawGguf().version(4).bytes(), {"unsupported version 4"});
  expect_bad(RawGguf().version(0xFFFFFFFFu).bytes(), {"unsupported version 4294967295"});
}

TEST_F(GgufMalformed, ByteSwappedVersion) {
  expect_bad(RawGguf().version(0x03000000u).bytes(), {"version field 50331648", "byte-swapped"});
}

TEST_F(GgufMalformed, EmptyAndTinyFiles) {
  expect_bad({}, {"truncated: magic needs 4 bytes at offset 0", "has 0 bytes"});
  expect_bad({'G', 'G', 'U', 'F', 3, 0}, {"truncated: version"});
  std::vector<uint8_t> hdr = RawGguf().bytes();
  hdr.resize(20);
  expect_bad(hdr, {"truncated: n_kv needs 8 bytes at offset 16"});
}

TEST_F(GgufMalformed, NegativeAndAbsurdCounts) {
  expect_bad(RawGguf().n_tensors(-1).bytes(), {"n_tensors=-1 is negative"});
  expect_bad(RawGguf().n_kv(-5).bytes(), {"n_kv=-5 is negative"});
  expect_bad(RawGguf().n_kv(INT64_MAX).bytes(), {"n_kv=9223372036854775807 is impossible", "0 bytes left"});
  expect_bad(one_tensor(GGML_F32, {4}).n_tensors(1000000).bytes(), {"n_tensors=1000000 is impossible"});
}

// --- metadata ---------------------------------------------------------------------------------

TEST_F(GgufMalformed, StringLengthBeyondFile) {
  std::vector<uint8_t> v = enc<uint64_t>(uint64_t{1} << 40);
  expect_bad(RawGguf().kv("name", 8, v).bytes(), {"key 'name'", "string value length 1099511627776 exceeds"});
  // The key's own length.
  std::vector<uint8_t> img = RawGguf().kv_u32("k", 1).bytes();
  patch<uint64_t>(img, 24, UINT64_MAX);
  expect_bad(img, {"kv 0", "key length 18446744073709551615 exceeds the"});
}

TEST_F(GgufMalformed, ArrayCountBeyondFile) {
  std::vector<uint8_t> v = enc<uint32_t>(5);  // i32 elements
  append_pod<uint64_t>(v, 1000);
  append_pod<int32_t>(v, 1);
  expect_bad(RawGguf().kv("arr", 9, v).bytes(), {"key 'arr'", "array count 1000 of i32 cannot fit in the 4 bytes left"});
  std::vector<uint8_t> s = enc<uint32_t>(8);  // strings: at least 8 bytes each
  append_pod<uint64_t>(s, UINT64_MAX / 2);
  expect_bad(RawGguf().kv("tokens", 9, s).bytes(), {"key 'tokens'", "array count 9223372036854775807 of string"});
}

TEST_F(GgufMalformed, UnknownValueTypes) {
  expect_bad(RawGguf().kv("k", 13, enc<uint32_t>(0)).bytes(), {"key 'k'", "unknown value type 13"});
  expect_bad(RawGguf().kv("k", 0xFFFFFFFFu, {}).bytes(), {"unknown value type 4294967295"});
  std::vector<uint8_t> v = enc<uint32_t>(42);
  append_pod<uint64_t>(v, 0);
  expect_bad(RawGguf().kv("arr", 9, v).bytes(), {"key 'arr'", "unknown array element type 42"});
}

TEST_F(GgufMalformed, DuplicateKey) {
  expect_bad(RawGguf().kv_u32("general.x", 1).kv_u32("general.y", 2).kv_u32("general.x", 3).bytes(),
             {"key 'general.x': duplicate key"});
}

TEST_F(GgufMalformed, BoolOtherThanZeroOrOne) {
  expect_bad(RawGguf().kv("flag", 7, enc<uint8_t>(2)).bytes(), {"key 'flag'", "bool byte 2"});
  std::vector<uint8_t> v = enc<uint32_t>(7);
  append_pod<uint64_t>(v, 2);
  append_pod<uint8_t>(v, 1);
  append_pod<uint8_t>(v, 255);
  expect_bad(RawGguf().kv("flags", 9, v).bytes(), {"key 'flags'", "bool byte 255"});
}

TEST_F(GgufMalformed, NestingTooDeep) {
  std::vector<uint8_t> v;
  for (int i = 0; i < 100; ++i) {  // array of array of ... each with one element
    append_pod<uint32_t>(v, 9);
    append_pod<uint64_t>(v, 1);
  }
  append_pod<uint32_t>(v, 0);
  append_pod<uint64_t>(v, 0);
  expect_bad(RawGguf().kv("deep", 9, v).bytes(), {"key 'deep'", "nested deeper than 8"});
}

TEST_F(GgufMalformed, TruncatedInsideMetadata) {
  std::vector<uint8_t> img = RawGguf().kv_str("general.name", "tiny model").bytes();
  img.resize(img.size() - 3);
  expect_bad(img, {"key 'general.name'", "string value length 10 exceeds the 7 bytes left"});
  img.resize(img.size() - 8);  // now inside the length field itself
  expect_bad(img, {"key 'general.name'", "truncated: string value needs 8 bytes"});
}

TEST_F(GgufMalformed, AlignmentKey) {
  expect_bad(RawGguf().kv("general.alignment", 10, enc<uint64_t>(32)).bytes(),
             {"key 'general.alignment'", "type is u64, must be u32"});
  expect_bad(RawGguf().kv_u32("general.alignment", 0).bytes(), {"general.alignment", "value 0 is not a non-zero power of two"});
  expect_bad(RawGguf().kv_u32("general.alignment", 48).bytes(), {"value 48 is not a non-zero power of two"});
}

// --- tensor infos -----------------------------------------------------------------------------

TEST_F(GgufMalformed, TensorNameTooLong) {
  EXPECT_NO_THROW({
    auto ok = one_tensor(GGML_F32, {4}, std::string(63, 'a')).bytes();
    File::open_bytes(ok.data(), ok.size(), "ok.gguf");
  });
  expect_bad(one_tensor(GGML_F32, {4}, std::string(64, 'a')).bytes(), {"name of 64 bytes is too long (at most 63)"});
}

TEST_F(GgufMalformed, DuplicateTensorName) {
  expect_bad(one_tensor(GGML_F32, {4}).tensor("other", GGML_F32, {2}).tensor("blk.0.attn_q.weight", GGML_F32, {4}).bytes(),
             {"tensor 'blk.0.attn_q.weight': duplicate tensor name"});
}

TEST_F(GgufMalformed, TooManyDims) {
  RawGguf g;
  g.tensor({"t", GGML_F32, {1, 1, 1, 1, 1}, std::nullopt, std::nullopt});
  expect_bad(g.bytes(), {"tensor 't': n_dims=5 exceeds 4"});
}

TEST_F(GgufMalformed, NegativeDimension) {
  expect_bad(one_tensor(GGML_F32, {4, -2}).data_bytes(16).bytes(), {"tensor 'blk.0.attn_q.weight': ne[1]=-2 is negative"});
}

TEST_F(GgufMalformed, RowNotAMultipleOfBlockSize) {
  const std::vector<uint8_t> img = one_tensor(GGML_Q4_0, {33, 2}).data_bytes(64).bytes();
  expect_bad(img, {"model.gguf: tensor 'blk.0.attn_q.weight': ne[0]=33 is not a multiple of q4_0's block size 32"});
  expect_bad(one_tensor(GGML_Q4_K, {128}).data_bytes(144).bytes(), {"ne[0]=128 is not a multiple of q4_k's block size 256"});
}

TEST_F(GgufMalformed, ElementCountOverflow) {
  expect_bad(one_tensor(GGML_F32, {INT64_MAX / 2, 4}).data_bytes(0).bytes(),
             {"tensor 'blk.0.attn_q.weight'", "element count of shape [4611686018427387903, 4, 1, 1] overflows int64"});
  expect_bad(one_tensor(GGML_I8, {1 << 20, 1 << 20, 1 << 20, 1 << 20}).data_bytes(0).bytes(), {"overflows int64"});
}

TEST_F(GgufMalformed, UnknownAndRemovedTypes) {
  expect_bad(one_tensor(43, {32}).data_bytes(64).bytes(), {"tensor 'blk.0.attn_q.weight': unknown type 43"});
  expect_bad(one_tensor(0xFFFFFFFFu, {32}).data_bytes(64).bytes(), {"unknown type 4294967295"});
  for (uint32_t removed : {4u, 5u, 31u, 33u, 36u, 38u})
    expect_bad(one_tensor(removed, {32}).data_bytes(64).bytes(),
               {"type id " + std::to_string(removed) + " is a type ggml has removed"});
}

TEST_F(GgufMalformed, RejectedTypesAreNotAReaderError) {
  for (uint32_t t : {GGML_Q8_1, GGML_Q8_K, GGML_IQ2_XXS, GGML_IQ4_NL, GGML_I64, GGML_F64, GGML_TQ1_0, GGML_NVFP4, GGML_Q1_0}) {
    const TypeInfo *ti = type_info(t);
    const std::vector<uint8_t> img = one_tensor(t, {static_cast<int64_t>(ti->block_size) * 2, 3}).bytes();
    auto f = File::open_bytes(img.data(), img.size(), "model.gguf");
    ASSERT_EQ(f->tensors().size(), 1u);
    EXPECT_EQ(f->tensors()[0].nbytes, 2u * ti->type_size * 3);
  }
}

TEST_F(GgufMalformed, OffsetNotAligned) {
  RawGguf g;
  g.tensor({"a", GGML_F32, {4}, std::nullopt, std::nullopt}).tensor({"b", GGML_F32, {4}, std::nullopt, 16});
  expect_bad(g.data_bytes(64).bytes(), {"tensor 'b': offset 16 is not a multiple of the alignment 32"});
}

TEST_F(GgufMalformed, OffsetsNotBackToBack) {
  RawGguf swapped;
  swapped.tensor({"a", GGML_F32, {8}, std::nullopt, 32}).tensor({"b", GGML_F32, {8}, std::nullopt, 0});
  expect_bad(swapped.data_bytes(64).bytes(), {"tensor 'a': offset 32, expected 0", "back to back"});
  RawGguf gap;
  gap.tensor({"a", GGML_F32, {8}, std::nullopt, std::nullopt}).tensor({"b", GGML_F32, {8}, std::nullopt, 64});
  expect_bad(gap.data_bytes(96).bytes(), {"tensor 'b': offset 64, expected 32"});
  RawGguf overlap;
  overlap.tensor({"a", GGML_F32, {8}, std::nullopt, std::nullopt}).tensor({"b", GGML_F32, {8}, std::nullopt, 0});
  expect_bad(overlap.data_bytes(64).bytes(), {"tensor 'b': offset 0, expected 32"});
}

TEST_F(GgufMalformed, DataBeyondEndOfFile) {
  expect_bad(one_tensor(GGML_F32, {16, 2}).data_bytes(127).bytes(),
             {"tensor 'blk.0.attn_q.weight': data [0, +128) extends past the end of the file", "127 bytes"});
  // A huge tensor whose size alone exceeds the file.
  expect_bad(one_tensor(GGML_F32, {int64_t{1} << 40}).data_bytes(0).bytes(), {"data [0, +4398046511104)"});
}

TEST_F(GgufMalformed, PaddingBeforeDataMissing) {
  std::vector<uint8_t> img = one_tensor(GGML_F32, {0}).bytes();  // zero-byte tensor, data section empty
  auto f = File::open_bytes(img.data(), img.size(), "model.gguf");
  EXPECT_EQ(f->tensors()[0].nbytes, 0u);
  // Cut into the padding that aligns the data section.
  const size_t infos_end = find_bytes(img, "blk.0.attn_q.weight") + 19 + 4 + 8 + 4 + 8;
  ASSERT_LT(infos_end, img.size());
  img.resize(infos_end);
  expect_bad(img, {"truncated: the data section starts at offset"});
}

// Every prefix of a valid file with metadata and tensors is refused cleanly.
TEST_F(GgufMalformed, EveryTruncation) {
  RawGguf g;
  std::vector<uint8_t> arr = enc<uint32_t>(8);
  append_pod<uint64_t>(arr, 2);
  append_str(arr, "ab");
  append_str(arr, "c");
  g.kv_str("general.architecture", "x").kv("toks", 9, arr).kv("f", 6, enc<float>(1.0f));
  g.tensor("w", GGML_Q8_0, {64, 2}).tensor("b", GGML_F32, {3});
  const std::vector<uint8_t> img = g.bytes();
  EXPECT_NO_THROW(File::open_bytes(img.data(), img.size(), "model.gguf"));
  for (size_t n = 0; n < img.size(); ++n) {
    SCOPED_TRACE(n);
    expect_error([&] { File::open_bytes(img.data(), n, "model.gguf"); }, DSV4_ERR_FORMAT, {"model.gguf: "});
  }
}

// Flipping any single header byte never crashes (result may be valid or FORMAT).
TEST_F(GgufMalformed, SingleByteCorruptionsNeverCrash) {
  RawGguf g;
  g.kv_u32("general.alignment", 64).kv_str("general.name", "n").tensor("w", GGML_Q4_K, {256, 2}).tensor("zz", GGML_I32, {5});
  const std::vector<uint8_t> img = g.layout_alignment(64).bytes();
  EXPECT_NO_THROW(File::open_bytes(img.data(), img.size(), "model.gguf"));
  const size_t header_end = find_bytes(img, "zz") + 2 + 4 + 8 + 4 + 8;
  for (size_t at = 0; at < header_end; ++at) {
    for (uint8_t x : {uint8_t{0x00}, uint8_t{0xFF}, uint8_t{0x80}, uint8_t{0x01}}) {
      std::vector<uint8_t> bad = img;
      bad[at] ^= x ? x : bad[at];
      try {
        auto f = File::open_bytes(bad.data(), bad.size(), "model.gguf");
        for (const gguf::TensorInfo &t : f->tensors())
          if (t.nbytes) {
            EXPECT_EQ(t.data[t.nbytes - 1], 0);  // in bounds, zero-filled data
          }
      } catch (const Error &e) {
        EXPECT_TRUE(e.status() == DSV4_ERR_FORMAT || e.status() == DSV4_ERR_INVALID_ARGUMENT) << e.what();
      }
    }
  }
}

// --- files that do not exist / are not files ----------------------------------------------------

TEST_F(GgufMalformed, OpenFailuresAreIo) {
  expect_error([&] { File::open(dir_ + "/absent.gguf"); }, DSV4_ERR_IO, {"cannot open '" + dir_ + "/absent.gguf'"});
  expect_error([&] { File::open(dir_); }, DSV4_ERR_IO, {"not a regular file"});
}

TEST_F(GgufMalformed, SplitKeysOfTheWrongType) {
  expect_bad(RawGguf().kv_str("split.count", "3").bytes(), {"key 'split.count' has type string, expected an integer"});
  expect_bad(RawGguf().kv("split.count", 5, enc<int32_t>(-2)).bytes(), {"split.count' = -2 is negative"});
  expect_bad(RawGguf().kv("split.count", 2, enc<uint16_t>(2)).bytes(), {"split.count' = 2 but key 'split.no' is missing"});
  expect_bad(RawGguf().kv("split.count", 2, enc<uint16_t>(2)).kv("split.no", 11, enc<int64_t>(INT64_MAX)).bytes(),
             {"split.no' = 9223372036854775807 is out of range for split.count 2"});
}

}  // namespace
}  // namespace dsv4::test
