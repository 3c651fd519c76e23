// GGUF v3 streaming writer: metadata and tensor infos are kept in memory (they are small), tensor
// data goes straight to the file, one tensor at a time, each padded to the alignment exactly as
// ggml lays it out (spec ggml-formats §3.3), so the reader's back-to-back rule holds.
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <limits>
#include <unordered_set>

#include "common/error.h"
#include "format/ggml_type.h"
#include "format/gguf.h"

namespace dsv4::gguf {

namespace {

constexpr uint32_t kVersion = 3;
constexpr uint32_t kDefaultAlignment = 32;
constexpr size_t kMaxNameBytes = 63;
constexpr uint32_t kValueTypeCount = 13;

[[noreturn]] void misuse(const std::string &path, const std::string &msg) {
  fail(DSV4_ERR_INVALID_ARGUMENT, path + ": gguf writer: " + msg);
}

bool is_integer_or_bool(ValueType t) {
  switch (t) {
    case ValueType::F32: case ValueType::F64: case ValueType::STRING: case ValueType::ARRAY: return false;
    default: return static_cast<uint32_t>(t) < kValueTypeCount;
  }
}

// Range of an integer type as stored in Value::i (U64 keeps its bit pattern, so anything goes).
bool int_fits(ValueType t, int64_t v) {
  switch (t) {
    case ValueType::U8: return v >= 0 && v <= 0xFF;
    case ValueType::I8: return v >= INT8_MIN && v <= INT8_MAX;
    case ValueType::U16: return v >= 0 && v <= 0xFFFF;
    case ValueType::I16: return v >= INT16_MIN && v <= INT16_MAX;
    case ValueType::U32: return v >= 0 && v <= int64_t{0xFFFFFFFF};
    case ValueType::I32: return v >= INT32_MIN && v <= INT32_MAX;
    case ValueType::BOOL: return v == 0 || v == 1;
    default: return true;  // U64, I64
  }
}

}  // namespace

struct Writer::Impl {
  struct PendingTensor {
    std::string name;
    uint32_t type;
    std::vector<int64_t> ne;
    uint64_t nbytes;
    uint64_t offset;
  };
  enum class State { kMetadata, kData, kFinished };

  std::string path;
  uint32_t alignment;
  std::FILE *f = nullptr;
  State state = State::kMetadata;
  std::vector<KeyValue> kvs;
  std::vector<PendingTensor> tensors;
  std::unordered_set<std::string> names;
  uint64_t data_size = 0;  // padded bytes of the tensors declared so far = next offset
  uint64_t pos = 0;        // bytes written to the file
  size_t next = 0;         // index of the next tensor to write
  bool in_tensor = false;
  uint64_t tensor_written = 0;

  void put(const void *p, size_t n) {
    if (n == 0) return;
    if (std::fwrite(p, 1, n, f) != n)
      fail(DSV4_ERR_IO, path + ": write of " + std::to_string(n) + " bytes at offset " + std::to_string(pos) +
                            " failed: " + std::strerror(errno));
    pos += n;
  }
  template <class T>
  void put_pod(T v) {
    put(&v, sizeof v);
  }
  void put_string(const std::string &s) {
    put_pod<uint64_t>(s.size());
    put(s.data(), s.size());
  }
  void pad() {
    static const uint8_t kZeros[256] = {};
    while (pos % alignment != 0) put(kZeros, std::min<uint64_t>(sizeof kZeros, alignment - pos % alignment));
  }

  void check_open(const char *what) const {
    if (state == State::kFinished) misuse(path, std::string(what) + " after finish()");
  }

  void check_value(const std::string &key, const Value &v, int depth) const {
    const auto bad = [&](const std::string &m) { misuse(path, "key '" + key + "': " + m); };
    if (static_cast<uint32_t>(v.type) >= kValueTypeCount) bad("unknown value type");
    if (is_integer_or_bool(v.type) && !int_fits(v.type, v.i))
      bad(std::to_string(v.i) + " does not fit in " + value_type_name(v.type));
    if (v.type != ValueType::ARRAY) return;
    if (depth >= 8) bad("arrays nested deeper than 8 levels");
    if (static_cast<uint32_t>(v.elem) >= kValueTypeCount) bad("unknown array element type");
    if (is_integer_or_bool(v.elem))
      for (int64_t x : v.ints)
        if (!int_fits(v.elem, x)) bad("array element " + std::to_string(x) + " does not fit in " + value_type_name(v.elem));
    if (v.elem == ValueType::ARRAY)
      for (const Value &inner : v.nested) {
        if (inner.type != ValueType::ARRAY) bad("an element of an array of arrays is not an array");
        check_value(key, inner, depth + 1);
      }
  }

  void put_scalar(ValueType t, int64_t i, double fl) {
    switch (t) {
      case ValueType::U8: case ValueType::I8: case ValueType::BOOL: put_pod(static_cast<uint8_t>(i)); return;
      case ValueType::U16: case ValueType::I16: put_pod(static_cast<uint16_t>(i)); return;
      case ValueType::U32: case ValueType::I32: put_pod(static_cast<uint32_t>(i)); return;
      case ValueType::U64: case ValueType::I64: put_pod(static_cast<uint64_t>(i)); return;
      case ValueType::F32: put_pod(static_cast<float>(fl)); return;
      case ValueType::F64: put_pod(fl); return;
      default: return;  // STRING / ARRAY are handled by put_value
    }
  }

  void put_array_body(const Value &v) {
    put_pod(static_cast<uint32_t>(v.elem));
    put_pod<uint64_t>(v.array_size());
    switch (v.elem) {
      case ValueType::F32: case ValueType::F64:
        for (double x : v.floats) put_scalar(v.elem, 0, x);
        return;
      case ValueType::STRING:
        for (const std::string &s : v.strings) put_string(s);
        return;
      case ValueType::ARRAY:
        for (const Value &inner : v.nested) put_array_body(inner);
        return;
      default:
        for (int64_t x : v.ints) put_scalar(v.elem, x, 0.0);
        return;
    }
  }

  void put_value(const Value &v) {
    if (v.type == ValueType::STRING) put_string(v.s);
    else if (v.type == ValueType::ARRAY) put_array_body(v);
    else put_scalar(v.type, v.i, v.f);
  }

  // general.alignment must agree with the alignment the offsets are computed with.
  void settle_alignment_key() {
    for (const KeyValue &kv : kvs) {
      if (kv.key != "general.alignment") continue;
      if (kv.value.type != ValueType::U32 || kv.value.i != alignment)
        misuse(path, "key 'general.alignment' must be u32 " + std::to_string(alignment) +
                         " (the writer's alignment) when it is set");
      return;
    }
    if (alignment != kDefaultAlignment) {
      Value v;
      v.type = ValueType::U32;
      v.i = alignment;
      kvs.push_back({"general.alignment", std::move(v)});
    }
  }

  void write_header() {
    settle_alignment_key();
    put("GGUF", 4);
    put_pod(kVersion);
    put_pod<int64_t>(static_cast<int64_t>(tensors.size()));
    put_pod<int64_t>(static_cast<int64_t>(kvs.size()));
    for (const KeyValue &kv : kvs) {
      put_string(kv.key);
      put_pod(static_cast<uint32_t>(kv.value.type));
      put_value(kv.value);
    }
    for (const PendingTensor &t : tensors) {
      put_string(t.name);
      put_pod(static_cast<uint32_t>(t.ne.size()));
      for (int64_t d : t.ne) put_pod(d);
      put_pod(t.type);
      put_pod(t.offset);
    }
    if (!tensors.empty()) pad();  // the data section starts aligned (spec §3.4)
  }
};

Writer::Writer(std::string path, uint32_t alignment) : impl_(std::make_unique<Impl>()) {
  impl_->path = std::move(path);
  impl_->alignment = alignment;
  if (alignment == 0 || (alignment & (alignment - 1)) != 0)
    misuse(impl_->path, "alignment " + std::to_string(alignment) + " is not a non-zero power of two");
  impl_->f = std::fopen(impl_->path.c_str(), "wb");
  if (!impl_->f) fail(DSV4_ERR_IO, "cannot create '" + impl_->path + "': " + std::strerror(errno));
}

Writer::~Writer() {
  if (impl_->f) std::fclose(impl_->f);
}

void Writer::set(std::string key, Value value) {
  impl_->check_open("set");
  if (impl_->state != Impl::State::kMetadata) misuse(impl_->path, "set('" + key + "') after tensor data has started");
  impl_->check_value(key, value, 0);
  for (KeyValue &kv : impl_->kvs)
    if (kv.key == key) {
      kv.value = std::move(value);
      return;
    }
  impl_->kvs.push_back({std::move(key), std::move(value)});
}

namespace {
Value scalar(ValueType t, int64_t i) {
  Value v;
  v.type = t;
  v.i = i;
  return v;
}
Value array_of(ValueType elem) {
  Value v;
  v.type = ValueType::ARRAY;
  v.elem = elem;
  return v;
}
}  // namespace

void Writer::set_u32(std::string key, uint32_t v) { set(std::move(key), scalar(ValueType::U32, v)); }
void Writer::set_i32(std::string key, int32_t v) { set(std::move(key), scalar(ValueType::I32, v)); }
void Writer::set_u64(std::string key, uint64_t v) {
  set(std::move(key), scalar(ValueType::U64, static_cast<int64_t>(v)));
}
void Writer::set_bool(std::string key, bool v) { set(std::move(key), scalar(ValueType::BOOL, v ? 1 : 0)); }

void Writer::set_f32(std::string key, float v) {
  Value x;
  x.type = ValueType::F32;
  x.f = v;
  set(std::move(key), std::move(x));
}

void Writer::set_string(std::string key, std::string v) {
  Value x;
  x.type = ValueType::STRING;
  x.s = std::move(v);
  set(std::move(key), std::move(x));
}

void Writer::set_string_array(std::string key, std::vector<std::string> v) {
  Value x = array_of(ValueType::STRING);
  x.strings = std::move(v);
  set(std::move(key), std::move(x));
}

void Writer::set_i32_array(std::string key, const std::vector<int32_t> &v) {
  Value x = array_of(ValueType::I32);
  x.ints.assign(v.begin(), v.end());
  set(std::move(key), std::move(x));
}

void Writer::set_f32_array(std::string key, const std::vector<float> &v) {
  Value x = array_of(ValueType::F32);
  x.floats.assign(v.begin(), v.end());
  set(std::move(key), std::move(x));
}

void Writer::add_tensor(std::string name, uint32_t type, std::vector<int64_t> ne) {
  Impl &w = *impl_;
  w.check_open("add_tensor");
  const auto bad = [&](const std::string &m) { misuse(w.path, "tensor '" + name + "': " + m); };
  if (w.state != Impl::State::kMetadata) bad("add_tensor after tensor data has started");
  if (name.size() > kMaxNameBytes) bad("name longer than " + std::to_string(kMaxNameBytes) + " bytes");
  if (w.names.count(name)) bad("duplicate tensor name");
  const TypeInfo *ti = type_info(type);
  if (!ti || ti->support == TypeSupport::kRemoved) bad("type id " + std::to_string(type) + " is not a ggml type");
  if (ne.size() > 4) bad("more than 4 dimensions");
  for (int64_t d : ne)
    if (d < 0) bad("negative dimension " + std::to_string(d));
  const int64_t ne0 = ne.empty() ? 1 : ne[0];
  if (ne0 % ti->block_size != 0)
    bad("ne[0]=" + std::to_string(ne0) + " is not a multiple of " + ti->name + "'s block size " +
        std::to_string(ti->block_size));
  uint64_t bytes = static_cast<uint64_t>(ne0) / ti->block_size * ti->type_size, elements = static_cast<uint64_t>(ne0);
  for (size_t d = 1; d < ne.size(); ++d)
    if (__builtin_mul_overflow(bytes, static_cast<uint64_t>(ne[d]), &bytes) ||
        __builtin_mul_overflow(elements, static_cast<uint64_t>(ne[d]), &elements))
      bad("size overflows");
  if (elements > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) bad("element count overflows int64");
  const uint64_t padded = (bytes + w.alignment - 1) / w.alignment * w.alignment;
  uint64_t end = 0;
  if (padded < bytes || __builtin_add_overflow(w.data_size, padded, &end)) bad("data section size overflows");
  w.names.insert(name);
  w.tensors.push_back({std::move(name), type, std::move(ne), bytes, w.data_size});
  w.data_size = end;
}

void Writer::begin_data() {
  Impl &w = *impl_;
  w.check_open("begin_data");
  if (w.state != Impl::State::kMetadata) misuse(w.path, "begin_data called twice");
  w.write_header();
  w.state = Impl::State::kData;
}

void Writer::write_tensor(std::string_view name, const void *data, size_t nbytes) {
  begin_tensor(name);
  append(data, nbytes);
  end_tensor();
}

void Writer::begin_tensor(std::string_view name) {
  Impl &w = *impl_;
  w.check_open("begin_tensor");
  if (w.state == Impl::State::kMetadata) begin_data();
  if (w.in_tensor) misuse(w.path, "begin_tensor('" + std::string(name) + "') while tensor '" + w.tensors[w.next].name +
                                      "' is still open");
  if (w.next >= w.tensors.size()) misuse(w.path, "tensor '" + std::string(name) + "' written but all declared tensors are done");
  if (w.tensors[w.next].name != name)
    misuse(w.path, "expected tensor '" + w.tensors[w.next].name + "' next (add_tensor order), got '" + std::string(name) + "'");
  w.in_tensor = true;
  w.tensor_written = 0;
}

void Writer::append(const void *data, size_t nbytes) {
  Impl &w = *impl_;
  w.check_open("append");
  if (!w.in_tensor) misuse(w.path, "append without begin_tensor");
  const Impl::PendingTensor &t = w.tensors[w.next];
  if (nbytes > t.nbytes - w.tensor_written)
    misuse(w.path, "tensor '" + t.name + "': " + std::to_string(w.tensor_written + nbytes) + " bytes written, its size is " +
                       std::to_string(t.nbytes));
  if (nbytes && !data) misuse(w.path, "tensor '" + t.name + "': null data");
  w.put(data, nbytes);
  w.tensor_written += nbytes;
}

void Writer::end_tensor() {
  Impl &w = *impl_;
  w.check_open("end_tensor");
  if (!w.in_tensor) misuse(w.path, "end_tensor without begin_tensor");
  const Impl::PendingTensor &t = w.tensors[w.next];
  if (w.tensor_written != t.nbytes)
    misuse(w.path, "tensor '" + t.name + "': " + std::to_string(w.tensor_written) + " bytes written, its size is " +
                       std::to_string(t.nbytes));
  w.pad();
  w.in_tensor = false;
  ++w.next;
}

void Writer::finish() {
  Impl &w = *impl_;
  w.check_open("finish");
  if (w.state == Impl::State::kMetadata) begin_data();
  if (w.in_tensor) misuse(w.path, "finish while tensor '" + w.tensors[w.next].name + "' is open");
  if (w.next < w.tensors.size()) misuse(w.path, "finish() but tensor '" + w.tensors[w.next].name + "' was not written");
  std::FILE *f = w.f;
  w.f = nullptr;
  w.state = Impl::State::kFinished;
  const bool flushed = std::fflush(f) == 0;
  const int flush_errno = errno;
  const bool closed = std::fclose(f) == 0;
  if (!flushed || !closed)
    fail(DSV4_ERR_IO, w.path + ": finishing the file failed: " + std::strerror(flushed ? errno : flush_errno));
}

}  // namespace dsv4::gguf
