// GGUF container: a strictly validating mmap reader (v2, v3, split files) and a streaming
// writer. Layout facts: ../shared/spec/ggml-formats.md §3. Every failure throws dsv4::Error
// with DSV4_ERR_IO / FORMAT / UNSUPPORTED and a message naming the file, field and value.
#pragma once

#include <cstdint>
#include <cstdio>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace dsv4::gguf {

enum class ValueType : uint32_t {
  U8 = 0, I8 = 1, U16 = 2, I16 = 3, U32 = 4, I32 = 5, F32 = 6, BOOL = 7,
  STRING = 8, ARRAY = 9, U64 = 10, I64 = 11, F64 = 12,
};
const char *value_type_name(ValueType t);  // "u8" ... "array"; "?" when out of range

// One metadata value. Scalars: integer types and BOOL live in `i` (U64 keeps its bit pattern),
// F32/F64 in `f`, STRING in `s`. ARRAY: `elem` is the element type and exactly one of the
// vectors is used: ints (integer/bool elements), floats, strings, or nested (ARRAY elements).
struct Value {
  ValueType type = ValueType::U8;
  int64_t i = 0;
  double f = 0.0;
  std::string s;
  ValueType elem = ValueType::U8;
  std::vector<int64_t> ints;
  std::vector<double> floats;
  std::vector<std::string> strings;
  std::vector<Value> nested;

  uint64_t array_size() const;
};

struct KeyValue {
  std::string key;
  Value value;
};

struct TensorInfo {
  std::string name;
  uint32_t type = 0;       // ggml type id (format/ggml_type.h)
  uint32_t n_dims = 0;
  int64_t ne[4] = {1, 1, 1, 1};  // fastest first; missing dims are 1
  uint64_t offset = 0;     // relative to the data section of its split
  uint64_t nbytes = 0;
  uint32_t split = 0;      // which file of a split set holds it
  const uint8_t *data = nullptr;  // nullptr when tensor data was not loaded (vocab_only)

  int64_t n_elements() const { return ne[0] * ne[1] * ne[2] * ne[3]; }
};

struct OpenOptions {
  bool use_mmap = true;    // false: read tensor data into owned memory
  bool load_data = true;   // false: parse header + infos only (vocab_only); data pointers stay null
  // Called with a fraction in [0, 1] while opening; returning false cancels (DSV4_CANCELLED).
  std::function<bool(float)> progress;
  // use_mmap=false: the tensor bytes of all splits together are checked against this before
  // anything is read (DSV4_ERR_OUT_OF_MEMORY naming both); 0 = no check.
  uint64_t owned_bytes_limit = 0;
};

class File {
 public:
  // Opens path (and, when it is split.no 0 of a split set, the other splits beside it).
  static std::unique_ptr<File> open(const std::string &path, const OpenOptions &opts = {});
  // Parses an in-memory image (one file, no splits). `name` is used in messages. The bytes
  // are copied. Used by the fuzzer and by tests.
  static std::unique_ptr<File> open_bytes(const uint8_t *bytes, size_t n, const std::string &name,
                                          const OpenOptions &opts = {});
  virtual ~File();

  uint32_t version() const;
  uint32_t alignment() const;
  size_t n_splits() const;
  const std::string &path() const;   // first split's path
  const std::string &split_path(size_t i) const;  // i < n_splits(); TensorInfo::split indexes it
  uint64_t file_bytes() const;       // all splits together
  // Hands the mapped pages of tensor bytes [p, p + n) back to the kernel (use_mmap only; whole
  // pages inside the range). They stay readable: a later read faults them in from the file.
  // False when nothing was released.
  bool release_pages(const uint8_t *p, uint64_t n) const;

  const std::vector<KeyValue> &metadata() const;
  const Value *find(std::string_view key) const;  // nullptr when absent

  // Typed getters: nullopt when absent; throw FORMAT naming the key when the stored type does
  // not fit (get_int accepts any integer type and range-checks into int64; get_float accepts
  // F32/F64; get_bool accepts BOOL only).
  std::optional<int64_t> get_int(std::string_view key) const;
  std::optional<double> get_float(std::string_view key) const;
  std::optional<bool> get_bool(std::string_view key) const;
  std::optional<std::string> get_string(std::string_view key) const;
  // Integer array (any integer element type) / string array; nullopt when absent.
  std::optional<std::vector<int64_t>> get_int_array(std::string_view key) const;
  const std::vector<std::string> *get_string_array(std::string_view key) const;

  const std::vector<TensorInfo> &tensors() const;
  const TensorInfo *find_tensor(std::string_view name) const;  // nullptr when absent

  struct Impl;

 private:
  explicit File(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// Streaming writer with bounded memory: metadata and tensor infos first, then tensor data
// one tensor at a time in info order. Used by tests and by the model maker.
class Writer {
 public:
  explicit Writer(std::string path, uint32_t alignment = 32);
  ~Writer();  // closes without finishing (the file is left incomplete) if finish() was not called
  Writer(const Writer &) = delete;
  Writer &operator=(const Writer &) = delete;

  void set(std::string key, Value value);  // replaces an existing key
  void set_u32(std::string key, uint32_t v);
  void set_i32(std::string key, int32_t v);
  void set_u64(std::string key, uint64_t v);
  void set_f32(std::string key, float v);
  void set_bool(std::string key, bool v);
  void set_string(std::string key, std::string v);
  void set_string_array(std::string key, std::vector<std::string> v);
  void set_i32_array(std::string key, const std::vector<int32_t> &v);
  void set_f32_array(std::string key, const std::vector<float> &v);

  // Declares a tensor (shape fastest first). Its byte size follows from type and shape.
  void add_tensor(std::string name, uint32_t type, std::vector<int64_t> ne);
  // Writes header, metadata and infos. Called implicitly by the first write_tensor.
  void begin_data();
  // Writes the next tensor's bytes; tensors must come in add_tensor order with exact sizes.
  void write_tensor(std::string_view name, const void *data, size_t nbytes);
  // Streams one tensor in pieces: begin, append pieces whose sizes add up, end.
  void begin_tensor(std::string_view name);
  void append(const void *data, size_t nbytes);
  void end_tensor();
  void finish();  // checks every tensor was written, flushes, closes; throws IO on failure

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace dsv4::gguf
