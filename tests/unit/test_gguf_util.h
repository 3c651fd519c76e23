// Helpers of the GGUF tests: a raw byte builder that can express malformed files (the library
// writer refuses to), byte patching, and temp-file plumbing.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.h"
#include "format/ggml_type.h"
#include "format/gguf.h"

namespace dsv4::test {

inline void append_bytes(std::vector<uint8_t> &out, const void *p, size_t n) {
  const auto *b = static_cast<const uint8_t *>(p);
  out.insert(out.end(), b, b + n);
}

template <class T>
void append_pod(std::vector<uint8_t> &out, T v) {
  append_bytes(out, &v, sizeof v);
}

inline void append_str(std::vector<uint8_t> &out, std::string_view s) {
  append_pod<uint64_t>(out, s.size());
  append_bytes(out, s.data(), s.size());
}

template <class T>
std::vector<uint8_t> enc(T v) {
  std::vector<uint8_t> out;
  append_pod(out, v);
  return out;
}

inline std::vector<uint8_t> enc_str(std::string_view s) {
  std::vector<uint8_t> out;
  append_str(out, s);
  return out;
}

// Builds GGUF images field by field. Defaults give a valid v3 file; every field can be set to
// something invalid. Tensor offsets default to ggml's back-to-back layout and the data section
// to exactly the bytes the tensors need (zero-filled).
class RawGguf {
 public:
  struct Tensor {
    std::string name;
    uint32_t type = GGML_F32;
    std::vector<int64_t> ne;
    std::optional<uint32_t> n_dims;   // default ne.size()
    std::optional<uint64_t> offset;   // default back to back
  };

  RawGguf &magic(std::string m) { magic_ = std::move(m); return *this; }
  RawGguf &version(uint32_t v) { version_ = v; return *this; }
  RawGguf &n_tensors(int64_t n) { n_tensors_ = n; return *this; }
  RawGguf &n_kv(int64_t n) { n_kv_ = n; return *this; }
  // Alignment used for padding and default offsets; does not write general.alignment.
  RawGguf &layout_alignment(uint32_t a) { alignment_ = a; return *this; }
  RawGguf &data_bytes(uint64_t n) { data_bytes_ = n; return *this; }

  // key, value type, encoded value.
  RawGguf &kv(std::string_view key, uint32_t type, const std::vector<uint8_t> &value) {
    append_str(kvs_, key);
    append_pod(kvs_, type);
    kvs_.insert(kvs_.end(), value.begin(), value.end());
    ++kv_count_;
    return *this;
  }
  RawGguf &kv_u32(std::string_view key, uint32_t v) { return kv(key, 4, enc(v)); }
  RawGguf &kv_str(std::string_view key, std::string_view s) { return kv(key, 8, enc_str(s)); }

  RawGguf &tensor(Tensor t) {
    tensors_.push_back(std::move(t));
    return *this;
  }
  RawGguf &tensor(std::string name, uint32_t type, std::vector<int64_t> ne) {
    return tensor(Tensor{std::move(name), type, std::move(ne), std::nullopt, std::nullopt});
  }

  static uint64_t nbytes(const Tensor &t) {
    const TypeInfo *ti = type_info(t.type);
    if (!ti || ti->block_size == 0) return 0;
    uint64_t n = 1;
    for (size_t d = 1; d < t.ne.size(); ++d) n *= static_cast<uint64_t>(t.ne[d]);
    const uint64_t ne0 = t.ne.empty() ? 1 : static_cast<uint64_t>(t.ne[0]);
    return ne0 / ti->block_size * ti->type_size * n;
  }

  std::vector<uint8_t> bytes() const {
    std::vector<uint8_t> out;
    append_bytes(out, magic_.data(), magic_.size());
    append_pod(out, version_);
    append_pod<int64_t>(out, n_tensors_.value_or(static_cast<int64_t>(tensors_.size())));
    append_pod<int64_t>(out, n_kv_.value_or(kv_count_));
    out.insert(out.end(), kvs_.begin(), kvs_.end());
    uint64_t next = 0, end = 0;
    for (const Tensor &t : tensors_) {
      append_str(out, t.name);
      append_pod<uint32_t>(out, t.n_dims.value_or(static_cast<uint32_t>(t.ne.size())));
      for (int64_t d : t.ne) append_pod(out, d);
      append_pod(out, t.type);
      const uint64_t off = t.offset.value_or(next);
      append_pod(out, off);
      end = std::max(end, off + nbytes(t));
      next = pad(off + nbytes(t));
    }
    if (!tensors_.empty()) out.resize(pad(out.size()), 0);
    out.resize(out.size() + data_bytes_.value_or(end), 0);
    return out;
  }

 private:
  uint64_t pad(uint64_t x) const { return (x + alignment_ - 1) / alignment_ * alignment_; }

  std::string magic_ = "GGUF";
  uint32_t version_ = 3;
  std::optional<int64_t> n_tensors_, n_kv_;
  uint32_t alignment_ = 32;
  std::optional<uint64_t> data_bytes_;
  std::vector<uint8_t> kvs_;
  int64_t kv_count_ = 0;
  std::vector<Tensor> tensors_;
};

inline void write_file(const std::string &path, const std::vector<uint8_t> &bytes) {
  std::ofstream out(path, std::ios::binary);
  out.write(reinterpret_cast<const char *>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
  ASSERT_TRUE(out.good()) << path;
}

// Offset of the first occurrence of `needle` in `hay`; fails the test when absent.
inline size_t find_bytes(const std::vector<uint8_t> &hay, std::string_view needle) {
  auto it = std::search(hay.begin(), hay.end(), needle.begin(), needle.end());
  EXPECT_NE(it, hay.end()) << "pattern '" << needle << "' not found";
  return static_cast<size_t>(it - hay.begin());
}

template <class T>
void patch(std::vector<uint8_t> &bytes, size_t at, T v) {
  ASSERT_LE(at + sizeof v, bytes.size());
  std::memcpy(bytes.data() + at, &v, sizeof v);
}

// Runs f, which must throw dsv4::Error with `status` and a message containing every needle.
template <class F>
void expect_error(F &&f, dsv4_status status, const std::vector<std::string> &needles) {
  try {
    f();
    ADD_FAILURE() << "expected an error with status " << status;
  } catch (const Error &e) {
    EXPECT_EQ(e.status(), status) << e.what();
    for (const std::string &n : needles) EXPECT_NE(e.message().find(n), std::string::npos) << "missing '" << n << "' in: " << e.what();
  }
}

}  // namespace dsv4::test
