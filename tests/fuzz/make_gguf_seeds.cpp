// Writes the seed corpus of fuzz_gguf: small valid GGUF files covering every metadata type,
// nested arrays, several tensor types, a v2 header, a custom alignment and a tensor-less file.
// Generated at test time so no binary files live in the repository.
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <vector>

#include "common/error.h"
#include "format/ggml_type.h"
#include "format/gguf.h"

namespace {

using dsv4::gguf::Value;
using dsv4::gguf::ValueType;
using dsv4::gguf::Writer;

Value array_of(ValueType elem) {
  Value v;
  v.type = ValueType::ARRAY;
  v.elem = elem;
  return v;
}

void write_tensor_file(const std::string &path, uint32_t alignment) {
  Writer w(path, alignment);
  w.set_string("general.architecture", "seed");
  w.set_u32("seed.block_count", 2);
  w.set_f32("seed.eps", 1e-6f);
  w.set_bool("seed.flag", true);
  w.set_u64("seed.big", 1ull << 40);
  w.set_i32_array("seed.ratios", {0, 4, 128});
  w.set_f32_array("seed.scales", {0.5f, 2.0f});
  w.set_string_array("tokenizer.ggml.tokens", {"a", "b", "ab"});
  Value u8 = array_of(ValueType::U8);
  u8.ints = {1, 2, 3};
  w.set("seed.u8s", u8);
  Value nested = array_of(ValueType::ARRAY);
  nested.nested = {u8, u8};
  w.set("seed.nested", nested);
  Value i16;
  i16.type = ValueType::I16;
  i16.i = -3;
  w.set("seed.i16", i16);
  Value f64;
  f64.type = ValueType::F64;
  f64.f = 0.25;
  w.set("seed.f64", f64);
  const struct {
    const char *name;
    uint32_t type;
    std::vector<int64_t> ne;
  } tensors[] = {
      {"token_embd.weight", dsv4::GGML_F32, {4, 3}},
      {"blk.0.attn_q.weight", dsv4::GGML_Q4_0, {32, 2}},
      {"blk.0.ffn.weight", dsv4::GGML_Q4_K, {256, 1}},
      {"blk.0.exp.weight", dsv4::GGML_MXFP4, {32, 2, 2}},
      {"blk.0.tid2eid", dsv4::GGML_I32, {3}},
  };
  for (const auto &t : tensors) w.add_tensor(t.name, t.type, t.ne);
  for (const auto &t : tensors) {
    const dsv4::TypeInfo *ti = dsv4::type_info(t.type);
    uint64_t n = static_cast<uint64_t>(t.ne[0]) / ti->block_size * ti->type_size;
    for (size_t d = 1; d < t.ne.size(); ++d) n *= static_cast<uint64_t>(t.ne[d]);
    std::vector<uint8_t> bytes(n);
    for (size_t i = 0; i < n; ++i) bytes[i] = static_cast<uint8_t>(i * 7 + 1);
    w.write_tensor(t.name, bytes.data(), bytes.size());
  }
  w.finish();
}

void set_version(const std::string &from, const std::string &to, uint32_t version) {
  std::ifstream in(from, std::ios::binary);
  std::vector<char> b((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::memcpy(b.data() + 4, &version, 4);
  std::ofstream(to, std::ios::binary).write(b.data(), static_cast<std::streamsize>(b.size()));
}

}  // namespace

int main(int argc, char **argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s SEED_DIR\n", argv[0]);
    return 2;
  }
  const std::string dir = argv[1];
  try {
    std::filesystem::create_directories(dir);
    write_tensor_file(dir + "/tensors.gguf", 32);
    write_tensor_file(dir + "/align64.gguf", 64);
    set_version(dir + "/tensors.gguf", dir + "/v2.gguf", 2);
    Writer vocab(dir + "/vocab.gguf");
    vocab.set_string_array("tokenizer.ggml.tokens", {"x", "y"});
    vocab.set_i32_array("tokenizer.ggml.token_type", {1, 3});
    vocab.finish();
  } catch (const std::exception &e) {
    std::fprintf(stderr, "%s\n", e.what());
    return 1;
  }
  return 0;
}
