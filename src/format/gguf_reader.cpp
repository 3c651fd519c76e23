// GGUF reader: one strict header parser shared by mmap, read-into-memory and in-memory images,
// plus split-set assembly. Layout and validation rules: ../shared/spec/ggml-formats.md §3.
// Every size read from the file is checked against the bytes that are actually left before it
// is used to allocate or to index, so a malformed file can only ever produce a dsv4::Error.
#include "format/gguf.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <bit>
#include <cerrno>
#include <cinttypes>
#include <cstring>
#include <map>
#include <new>
#include <unordered_set>
#include <utility>

#include "common/error.h"
#include "common/memory.h"
#include "format/ggml_type.h"

static_assert(std::endian::native == std::endian::little, "GGUF is little-endian; so is every supported host");

namespace dsv4::gguf {

const char *value_type_name(ValueType t) {
  static const char *const kNames[] = {"u8",  "i8",     "u16",   "i16", "u32", "i32", "f32",
                                       "bool", "string", "array", "u64", "i64", "f64"};
  const auto i = static_cast<uint32_t>(t);
  return i < sizeof kNames / sizeof kNames[0] ? kNames[i] : "?";
}

uint64_t Value::array_size() const {
  if (type != ValueType::ARRAY) return 0;
  switch (elem) {
    case ValueType::F32:
    case ValueType::F64: return floats.size();
    case ValueType::STRING: return strings.size();
    case ValueType::ARRAY: return nested.size();
    default: return ints.size();
  }
}

namespace {

constexpr uint32_t kValueTypeCount = 13;
constexpr uint32_t kDefaultAlignment = 32;
constexpr uint32_t kMaxDims = 4;
constexpr size_t kMaxNameBytes = 63;     // GGML_MAX_NAME (64) includes the terminator
constexpr int kMaxArrayDepth = 8;        // nested arrays: bounded so recursion cannot overflow the stack
constexpr uint64_t kMaxSplits = 99999;   // the %05d file-name convention
constexpr size_t kReadChunk = 16u << 20; // non-mmap data reads: progress is reported per chunk
constexpr size_t kOwnedAlign = 4096;     // owned buffers: tensor pointers as aligned as in a mapping

std::string str(uint64_t v) { return std::to_string(v); }
std::string str_i(int64_t v) { return std::to_string(v); }

bool is_integer(ValueType t) {
  switch (t) {
    case ValueType::U8: case ValueType::I8: case ValueType::U16: case ValueType::I16:
    case ValueType::U32: case ValueType::I32: case ValueType::U64: case ValueType::I64: return true;
    default: return false;
  }
}

// Encoded size of one value of a fixed-size type; 0 for STRING / ARRAY.
uint64_t fixed_size(ValueType t) {
  switch (t) {
    case ValueType::U8: case ValueType::I8: case ValueType::BOOL: return 1;
    case ValueType::U16: case ValueType::I16: return 2;
    case ValueType::U32: case ValueType::I32: case ValueType::F32: return 4;
    case ValueType::U64: case ValueType::I64: case ValueType::F64: return 8;
    default: return 0;
  }
}

// Smallest possible encoding of one array element: bounds counts before anything is reserved.
uint64_t min_encoded_size(ValueType t) {
  if (t == ValueType::STRING) return 8;       // length only
  if (t == ValueType::ARRAY) return 4 + 8;    // element type + count
  return fixed_size(t);
}

uint64_t pad_to(uint64_t x, uint64_t align) { return (x + align - 1) / align * align; }

std::string errno_text() { return std::strerror(errno); }

// ---------------------------------------------------------------------------------------------
// Owned storage of one split: a read-only mapping or an aligned heap buffer.

class Storage {
 public:
  Storage() = default;
  Storage(const Storage &) = delete;
  Storage &operator=(const Storage &) = delete;
  ~Storage() {
    if (map_) ::munmap(map_, map_len_);
    if (owned_) ::operator delete(owned_, std::align_val_t(kOwnedAlign));
  }

  static std::unique_ptr<Storage> map_file(int fd, uint64_t size, const std::string &path) {
    auto s = std::make_unique<Storage>();
    if (size == 0) return s;  // nothing to map; the parser reports the missing magic
    void *p = ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd, 0);
    if (p == MAP_FAILED) fail(DSV4_ERR_IO, path + ": mmap of " + str(size) + " bytes failed: " + errno_text());
    s->map_ = p;
    s->map_len_ = size;
    return s;
  }

  static std::unique_ptr<Storage> allocate(uint64_t n, const std::string &what) {
    auto s = std::make_unique<Storage>();
    void *p = ::operator new(std::max<uint64_t>(n, 1), std::align_val_t(kOwnedAlign), std::nothrow);
    if (!p) fail(DSV4_ERR_OUT_OF_MEMORY, what + ": cannot allocate " + format_bytes(n));
    s->owned_ = static_cast<uint8_t *>(p);
    return s;
  }

  const uint8_t *bytes() const { return map_ ? static_cast<const uint8_t *>(map_) : owned_; }
  uint8_t *owned() { return owned_; }

 private:
  void *map_ = nullptr;
  size_t map_len_ = 0;
  uint8_t *owned_ = nullptr;
};

class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  Fd(const Fd &) = delete;
  Fd &operator=(const Fd &) = delete;
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  int get() const { return fd_; }

 private:
  int fd_;
};

// Reads exactly n bytes at offset; a short read means the file changed under us.
void pread_exact(int fd, uint8_t *dst, uint64_t n, uint64_t offset, const std::string &path) {
  while (n > 0) {
    const size_t want = static_cast<size_t>(std::min<uint64_t>(n, 1u << 30));
    const ssize_t got = ::pread(fd, dst, want, static_cast<off_t>(offset));
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) fail(DSV4_ERR_IO, path + ": read of " + str(want) + " bytes at offset " + str(offset) + " failed: " + errno_text());
    if (got == 0) fail(DSV4_ERR_IO, path + ": file ended at offset " + str(offset) + " while reading (was it truncated while open?)");
    dst += got;
    offset += static_cast<uint64_t>(got);
    n -= static_cast<uint64_t>(got);
  }
}

// ---------------------------------------------------------------------------------------------
// Sequential bounded reads over a memory image or a file read through a buffer, so the header
// parser is one piece of code for mmap, use_mmap=false and open_bytes.

class Input {
 public:
  Input(const uint8_t *data, uint64_t size) : mem_(data), size_(size) {}
  Input(int fd, uint64_t size, const std::string &path) : fd_(fd), size_(size), path_(&path) {}

  uint64_t pos() const { return pos_; }
  uint64_t size() const { return size_; }
  uint64_t remaining() const { return size_ - pos_; }

  // Copies n bytes and advances; false (nothing consumed) when fewer than n remain.
  bool read(void *dst, uint64_t n) {
    if (n > size_ - pos_) return false;
    if (n == 0) return true;
    if (mem_) {
      std::memcpy(dst, mem_ + pos_, n);
      pos_ += n;
      return true;
    }
    auto *out = static_cast<uint8_t *>(dst);
    while (n > 0) {
      if (pos_ < buf_start_ || pos_ >= buf_start_ + buf_.size()) refill();
      const uint64_t off = pos_ - buf_start_;
      const uint64_t k = std::min<uint64_t>(n, buf_.size() - off);
      std::memcpy(out, buf_.data() + off, k);
      out += k;
      pos_ += k;
      n -= k;
    }
    return true;
  }

 private:
  void refill() {
    const uint64_t want = std::min<uint64_t>(kBuffer, size_ - pos_);
    buf_.resize(want);
    pread_exact(fd_, buf_.data(), want, pos_, *path_);
    buf_start_ = pos_;
  }

  static constexpr uint64_t kBuffer = 1u << 20;
  const uint8_t *mem_ = nullptr;
  int fd_ = -1;
  uint64_t size_ = 0;
  uint64_t pos_ = 0;
  const std::string *path_ = nullptr;
  std::vector<uint8_t> buf_;
  uint64_t buf_start_ = 0;
};

// ---------------------------------------------------------------------------------------------
// One parsed file of a (possibly one-element) split set.

struct Header {
  uint32_t version = 0;
  uint32_t alignment = kDefaultAlignment;
  std::vector<KeyValue> kvs;
  std::vector<TensorInfo> tensors;  // offsets relative to data_start; data still null
  uint64_t data_start = 0;
  uint64_t data_end = 0;  // end of the last tensor's bytes, relative to data_start
};

class HeaderParser {
 public:
  HeaderParser(Input &in, const std::string &name) : in_(in), name_(name) {}

  Header parse() {
    Header h;
    read_preamble(h);
    const int64_t n_tensors = read_pod<int64_t>("n_tensors");
    const int64_t n_kv = read_pod<int64_t>("n_kv");
    check_count("n_kv", n_kv, 8 + 4 + 1);
    read_kvs(h, static_cast<uint64_t>(n_kv));
    h.alignment = read_alignment(h.kvs);
    ctx_.clear();
    check_count("n_tensors", n_tensors, 8 + 4 + 4 + 8);
    read_tensor_infos(h, static_cast<uint64_t>(n_tensors));
    place_tensors(h);
    return h;
  }

 private:
  [[noreturn]] void bad(const std::string &msg) const {
    fail(DSV4_ERR_FORMAT, name_ + ": " + (ctx_.empty() ? "" : ctx_ + ": ") + msg);
  }

  void read_bytes(void *dst, uint64_t n, const char *field) {
    if (!in_.read(dst, n))
      bad("truncated: " + std::string(field) + " needs " + str(n) + " bytes at offset " + str(in_.pos()) +
          " but the file has " + str(in_.size()) + " bytes");
  }

  template <class T>
  T read_pod(const char *field) {
    T v;
    read_bytes(&v, sizeof v, field);
    return v;
  }

  std::string read_string(const char *field) {
    const uint64_t len = read_pod<uint64_t>(field);
    if (len > in_.remaining())
      bad(std::string(field) + " length " + str(len) + " exceeds the " + str(in_.remaining()) + " bytes left in the file");
    std::string s(static_cast<size_t>(len), '\0');
    read_bytes(s.data(), len, field);
    return s;
  }

  void check_count(const char *field, int64_t n, uint64_t min_each) {
    if (n < 0) bad(std::string(field) + "=" + str_i(n) + " is negative");
    if (static_cast<uint64_t>(n) > in_.remaining() / min_each)
      bad(std::string(field) + "=" + str_i(n) + " is impossible: the " + str(in_.remaining()) +
          " bytes left in the file hold at most " + str(in_.remaining() / min_each));
  }

  void read_preamble(Header &h) {
    char magic[4];
    read_bytes(magic, 4, "magic");
    if (std::memcmp(magic, "GGUF", 4) != 0) {
      char hex[16];
      std::snprintf(hex, sizeof hex, "%02x %02x %02x %02x", uint8_t(magic[0]), uint8_t(magic[1]), uint8_t(magic[2]),
                    uint8_t(magic[3]));
      bad(std::string("bad magic ") + hex + ", expected 47 47 55 46 ('GGUF'): not a GGUF file");
    }
    const uint32_t v = read_pod<uint32_t>("version");
    if (v != 0 && (v & 0xFFFFu) == 0)
      bad("version field " + str(v) + " looks byte-swapped: big-endian GGUF files are not supported");
    if (v == 1) bad("version 1 is not supported (GGUF v1 used 32-bit counts; re-convert the model)");
    if (v != 2 && v != 3) bad("unsupported version " + str(v) + " (supported: 2, 3)");
    h.version = v;
  }

  void read_kvs(Header &h, uint64_t n_kv) {
    std::unordered_set<std::string> seen;
    h.kvs.reserve(static_cast<size_t>(std::min<uint64_t>(n_kv, 4096)));
    for (uint64_t k = 0; k < n_kv; ++k) {
      ctx_ = "kv " + str(k);
      KeyValue kv;
      kv.key = read_string("key");
      ctx_ = "key '" + kv.key + "'";
      if (!seen.insert(kv.key).second) bad("duplicate key");
      const uint32_t t = read_pod<uint32_t>("value type");
      if (t >= kValueTypeCount) bad("unknown value type " + str(t) + " (known: 0..12)");
      read_value(kv.value, static_cast<ValueType>(t), 0);
      h.kvs.push_back(std::move(kv));
    }
  }

  // Reads one integer / bool scalar of type t, sign- or zero-extended (U64 keeps its bits).
  int64_t read_int(ValueType t, const char *field) {
    switch (t) {
      case ValueType::U8: return read_pod<uint8_t>(field);
      case ValueType::I8: return read_pod<int8_t>(field);
      case ValueType::U16: return read_pod<uint16_t>(field);
      case ValueType::I16: return read_pod<int16_t>(field);
      case ValueType::U32: return read_pod<uint32_t>(field);
      case ValueType::I32: return read_pod<int32_t>(field);
      case ValueType::U64: return static_cast<int64_t>(read_pod<uint64_t>(field));
      case ValueType::I64: return read_pod<int64_t>(field);
      case ValueType::BOOL: {
        const uint8_t b = read_pod<uint8_t>(field);
        if (b > 1) bad(std::string(field) + ": bool byte " + str(b) + " is neither 0 nor 1");
        return b;
      }
      default: bad("internal: read_int on a non-integer type");
    }
  }

  double read_float(ValueType t, const char *field) {
    if (t == ValueType::F32) return read_pod<float>(field);
    return read_pod<double>(field);
  }

  void read_value(Value &v, ValueType t, int depth) {
    v.type = t;
    switch (t) {
      case ValueType::F32:
      case ValueType::F64: v.f = read_float(t, "value"); return;
      case ValueType::STRING: v.s = read_string("string value"); return;
      case ValueType::ARRAY: read_array(v, depth + 1); return;
      default: v.i = read_int(t, "value"); return;
    }
  }

  void read_array(Value &v, int depth) {
    if (depth > kMaxArrayDepth) bad("arrays nested deeper than " + str(kMaxArrayDepth) + " levels");
    const uint32_t et = read_pod<uint32_t>("array element type");
    if (et >= kValueTypeCount) bad("unknown array element type " + str(et) + " (known: 0..12)");
    const auto elem = static_cast<ValueType>(et);
    v.elem = elem;
    const uint64_t count = read_pod<uint64_t>("array count");
    if (count > in_.remaining() / min_encoded_size(elem))
      bad("array count " + str(count) + " of " + value_type_name(elem) + " cannot fit in the " + str(in_.remaining()) +
          " bytes left in the file");
    const auto n = static_cast<size_t>(count);
    switch (elem) {
      case ValueType::F32:
      case ValueType::F64:
        v.floats.resize(n);
        for (size_t i = 0; i < n; ++i) v.floats[i] = read_float(elem, "array element");
        return;
      case ValueType::STRING:
        v.strings.reserve(std::min<size_t>(n, 1u << 16));
        for (size_t i = 0; i < n; ++i) v.strings.push_back(read_string("array string"));
        return;
      case ValueType::ARRAY:
        v.nested.reserve(std::min<size_t>(n, 1u << 12));
        for (size_t i = 0; i < n; ++i) {
          Value inner;
          read_value(inner, ValueType::ARRAY, depth);
          v.nested.push_back(std::move(inner));
        }
        return;
      default:
        v.ints.resize(n);
        for (size_t i = 0; i < n; ++i) v.ints[i] = read_int(elem, "array element");
        return;
    }
  }

  // general.alignment: UINT32, non-zero power of two (spec §3.4); default 32.
  uint32_t read_alignment(const std::vector<KeyValue> &kvs) {
    for (const KeyValue &kv : kvs) {
      if (kv.key != "general.alignment") continue;
      ctx_ = "key 'general.alignment'";
      if (kv.value.type != ValueType::U32)
        bad(std::string("type is ") + value_type_name(kv.value.type) + ", must be u32");
      const auto a = static_cast<uint32_t>(kv.value.i);
      if (a == 0 || (a & (a - 1)) != 0) bad("value " + str(a) + " is not a non-zero power of two");
      return a;
    }
    return kDefaultAlignment;
  }

  void read_tensor_infos(Header &h, uint64_t n_tensors) {
    std::unordered_set<std::string> seen;
    h.tensors.reserve(static_cast<size_t>(std::min<uint64_t>(n_tensors, 1u << 16)));
    for (uint64_t k = 0; k < n_tensors; ++k) {
      ctx_ = "tensor info " + str(k);
      TensorInfo t;
      t.name = read_string("tensor name");
      ctx_ = "tensor '" + t.name + "'";
      if (t.name.size() > kMaxNameBytes)
        bad("name of " + str(t.name.size()) + " bytes is too long (at most " + str(kMaxNameBytes) + ")");
      if (!seen.insert(t.name).second) bad("duplicate tensor name");
      t.n_dims = read_pod<uint32_t>("n_dims");
      if (t.n_dims > kMaxDims) bad("n_dims=" + str(t.n_dims) + " exceeds " + str(kMaxDims));
      for (uint32_t d = 0; d < t.n_dims; ++d) {
        t.ne[d] = read_pod<int64_t>("ne");
        if (t.ne[d] < 0) bad("ne[" + str(d) + "]=" + str_i(t.ne[d]) + " is negative");
      }
      t.type = read_pod<uint32_t>("type");
      t.offset = read_pod<uint64_t>("offset");
      t.nbytes = tensor_bytes(t);
      h.tensors.push_back(std::move(t));
    }
  }

  // Checks type and shape and returns the tensor's byte size (spec §1, §3.3).
  uint64_t tensor_bytes(const TensorInfo &t) {
    const TypeInfo *ti = type_info(t.type);
    if (!ti) bad("unknown type " + str(t.type) + " (ggml type ids are 0.." + str(GGML_TYPE_COUNT - 1) + ")");
    if (ti->support == TypeSupport::kRemoved)
      bad("type id " + str(t.type) + " is a type ggml has removed (" + ti->name + ")");
    if (t.ne[0] % ti->block_size != 0)
      bad("ne[0]=" + str_i(t.ne[0]) + " is not a multiple of " + ti->name + "'s block size " + str(ti->block_size));
    uint64_t elements = 1;
    for (int64_t d : t.ne)
      if (__builtin_mul_overflow(elements, static_cast<uint64_t>(d), &elements) || elements > uint64_t(INT64_MAX))
        bad("element count of shape " + shape(t) + " overflows int64");
    uint64_t bytes = static_cast<uint64_t>(t.ne[0]) / ti->block_size * ti->type_size;
    for (int d = 1; d < 4; ++d)
      if (__builtin_mul_overflow(bytes, static_cast<uint64_t>(t.ne[d]), &bytes) || bytes > SIZE_MAX)
        bad("byte size of shape " + shape(t) + " as " + ti->name + " overflows");
    return bytes;
  }

  static std::string shape(const TensorInfo &t) {
    std::string s = "[";
    for (int d = 0; d < 4; ++d) s += (d ? ", " : "") + str_i(t.ne[d]);
    return s + "]";
  }

  // ggml's rule (spec §3.3): tensors back to back in info order, each padded to the alignment,
  // and all of them inside the file.
  void place_tensors(Header &h) {
    const uint64_t a = h.alignment;
    if (h.tensors.empty()) return;  // a file without tensors may end right after the KVs
    h.data_start = pad_to(in_.pos(), a);
    if (h.data_start > in_.size())
      bad("truncated: the data section starts at offset " + str(h.data_start) + " but the file has " +
          str(in_.size()) + " bytes");
    const uint64_t data_bytes = in_.size() - h.data_start;
    uint64_t expected = 0;
    for (const TensorInfo &t : h.tensors) {
      ctx_ = "tensor '" + t.name + "'";
      if (t.offset % a != 0) bad("offset " + str(t.offset) + " is not a multiple of the alignment " + str(a));
      if (t.offset != expected)
        bad("offset " + str(t.offset) + ", expected " + str(expected) +
            " (tensors must be stored back to back in info order, each padded to " + str(a) + " bytes)");
      if (t.nbytes > data_bytes || t.offset > data_bytes - t.nbytes)
        bad("data [" + str(t.offset) + ", +" + str(t.nbytes) + ") extends past the end of the file (data section has " +
            str(data_bytes) + " bytes)");
      h.data_end = t.offset + t.nbytes;
      expected = t.offset + pad_to(t.nbytes, a);  // no overflow: offset + nbytes <= file size
    }
    ctx_.clear();
  }

  Input &in_;
  const std::string &name_;
  std::string ctx_;  // which kv / tensor is being read, for messages
};

// ---------------------------------------------------------------------------------------------
// Opening splits.

struct Split {
  std::string path;
  uint64_t file_size = 0;
  Header header;
  std::unique_ptr<Fd> fd;              // kept open between parsing and reading (use_mmap=false)
  std::unique_ptr<Storage> storage;    // mapping or owned data; null when data is not loaded
  const uint8_t *data_base = nullptr;  // start of the data section in storage
};

class Progress {
 public:
  Progress(const std::function<bool(float)> &fn, const std::string &path) : fn_(fn), path_(path) {}
  void report(double fraction) const {
    if (fn_ && !fn_(static_cast<float>(std::clamp(fraction, 0.0, 1.0))))
      fail(DSV4_CANCELLED, path_ + ": opening cancelled by the progress callback");
  }

 private:
  const std::function<bool(float)> &fn_;
  const std::string &path_;
};

// Opens one file and parses its header; with mmap the mapping is kept for the data.
Split open_split(const std::string &path, const OpenOptions &opts) {
  Split s;
  s.path = path;
  const int raw_fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (raw_fd < 0) fail(DSV4_ERR_IO, "cannot open '" + path + "': " + errno_text());
  s.fd = std::make_unique<Fd>(raw_fd);
  struct stat st {};
  if (::fstat(raw_fd, &st) != 0) fail(DSV4_ERR_IO, path + ": fstat failed: " + errno_text());
  if (!S_ISREG(st.st_mode)) fail(DSV4_ERR_IO, "cannot open '" + path + "': not a regular file");
  s.file_size = static_cast<uint64_t>(st.st_size);
  if (opts.use_mmap) {
    s.storage = Storage::map_file(raw_fd, s.file_size, path);
    Input in(s.storage->bytes(), s.file_size);
    s.header = HeaderParser(in, path).parse();
    s.fd.reset();
    if (!opts.load_data) s.storage.reset();
    else if (s.file_size > 0) s.data_base = s.storage->bytes() + s.header.data_start;
  } else {
    Input in(raw_fd, s.file_size, path);
    s.header = HeaderParser(in, path).parse();
    if (!opts.load_data) s.fd.reset();
  }
  return s;
}

std::optional<int64_t> int_key(const Header &h, const std::string &path, const char *key) {
  for (const KeyValue &kv : h.kvs) {
    if (kv.key != key) continue;
    if (!is_integer(kv.value.type))
      fail(DSV4_ERR_FORMAT, path + ": key '" + key + "' has type " + value_type_name(kv.value.type) + ", expected an integer");
    if (kv.value.type == ValueType::U64 && kv.value.i < 0)
      fail(DSV4_ERR_FORMAT, path + ": key '" + key + "' = " + str(static_cast<uint64_t>(kv.value.i)) + " is out of range");
    return kv.value.i;
  }
  return std::nullopt;
}

std::string split_suffix(uint64_t no1, uint64_t count) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "-%05" PRIu64 "-of-%05" PRIu64 ".gguf", no1, count);
  return buf;
}

// split.count of the first file; 1 when it is not part of a split set (spec §3.5).
uint64_t split_count(const Header &h, const std::string &path) {
  const auto count = int_key(h, path, "split.count");
  if (!count || *count <= 1) {
    if (count && *count < 0) fail(DSV4_ERR_FORMAT, path + ": key 'split.count' = " + str_i(*count) + " is negative");
    return 1;
  }
  if (static_cast<uint64_t>(*count) > kMaxSplits)
    fail(DSV4_ERR_FORMAT, path + ": key 'split.count' = " + str_i(*count) + " exceeds " + str(kMaxSplits));
  const auto no = int_key(h, path, "split.no");
  if (!no) fail(DSV4_ERR_FORMAT, path + ": key 'split.count' = " + str_i(*count) + " but key 'split.no' is missing");
  if (*no < 0 || *no >= *count)
    fail(DSV4_ERR_FORMAT, path + ": key 'split.no' = " + str_i(*no) + " is out of range for split.count " + str_i(*count));
  if (*no != 0)  // a valid file, but not the one to open
    fail(DSV4_ERR_INVALID_ARGUMENT, path + ": this is split " + str_i(*no + 1) + " of " + str_i(*count) +
                                        "; open the first split (..." + split_suffix(1, *count) + ")");
  return static_cast<uint64_t>(*count);
}

// Checks the split.* keys of split `index` (0-based) against the first file's.
void check_split_keys(const Split &s, uint64_t index, uint64_t count) {
  const auto no = int_key(s.header, s.path, "split.no");
  if (!no || static_cast<uint64_t>(*no) != index)
    fail(DSV4_ERR_FORMAT, s.path + ": key 'split.no' is " + (no ? str_i(*no) : std::string("missing")) +
                              ", expected " + str(index));
  const auto c = int_key(s.header, s.path, "split.count");
  if (c && static_cast<uint64_t>(*c) != count)
    fail(DSV4_ERR_FORMAT, s.path + ": key 'split.count' = " + str_i(*c) + " but the first split says " + str(count));
}

// Reads a split's data section into owned memory (use_mmap=false), reporting progress per chunk.
void read_split_data(Split &s, const Progress &progress, uint64_t &done, uint64_t total) {
  const uint64_t n = s.header.data_end;
  s.storage = Storage::allocate(n, s.path);
  for (uint64_t off = 0; off < n;) {
    const uint64_t k = std::min<uint64_t>(kReadChunk, n - off);
    pread_exact(s.fd->get(), s.storage->owned() + off, k, s.header.data_start + off, s.path);
    off += k;
    done += k;
    progress.report(total ? double(done) / double(total) : 1.0);
  }
  s.data_base = s.storage->owned();
  s.fd.reset();
}

}  // namespace

// ---------------------------------------------------------------------------------------------

struct File::Impl {
  std::string path;
  uint32_t version = 0;
  uint32_t alignment = kDefaultAlignment;
  uint64_t file_bytes = 0;
  std::vector<std::string> split_paths;
  std::vector<KeyValue> metadata;
  std::map<std::string, size_t, std::less<>> key_index;
  std::vector<TensorInfo> tensors;
  std::map<std::string, size_t, std::less<>> tensor_index;
  std::vector<std::unique_ptr<Storage>> storage;  // keeps mapped / owned tensor bytes alive
  bool mapped = false;                            // tensor bytes are a read-only file mapping

  // Takes over the splits: metadata from the first, tensors from all (spec §3.5).
  void assemble(std::vector<Split> &splits) {
    path = splits[0].path;
    version = splits[0].header.version;
    alignment = splits[0].header.alignment;
    metadata = std::move(splits[0].header.kvs);
    for (size_t i = 0; i < metadata.size(); ++i) key_index.emplace(metadata[i].key, i);
    for (size_t si = 0; si < splits.size(); ++si) {
      Split &s = splits[si];
      file_bytes += s.file_size;
      split_paths.push_back(s.path);
      for (TensorInfo &t : s.header.tensors) {
        t.split = static_cast<uint32_t>(si);
        if (s.data_base) t.data = s.data_base + t.offset;
        auto [it, fresh] = tensor_index.emplace(t.name, tensors.size());
        if (!fresh)
          fail(DSV4_ERR_FORMAT, s.path + ": tensor '" + t.name + "' is also in " + split_paths[tensors[it->second].split]);
        tensors.push_back(std::move(t));
      }
      if (s.storage) storage.push_back(std::move(s.storage));
    }
  }
};

File::File(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
File::~File() = default;

std::unique_ptr<File> File::open(const std::string &path, const OpenOptions &opts) {
  const Progress progress(opts.progress, path);
  progress.report(0.0);
  const bool read_data = opts.load_data && !opts.use_mmap;
  // Phase 1: every header, so a bad later split fails before gigabytes are read.
  std::vector<Split> splits;
  splits.push_back(open_split(path, opts));
  const uint64_t count = split_count(splits[0].header, path);
  if (count > 1) {
    const std::string suffix = split_suffix(1, count);
    if (path.size() <= suffix.size() || path.compare(path.size() - suffix.size(), suffix.size(), suffix) != 0)
      fail(DSV4_ERR_FORMAT, path + ": key 'split.count' = " + str(count) + " but the file name does not end in '" +
                                suffix + "', so the other splits cannot be found");
    const std::string prefix = path.substr(0, path.size() - suffix.size());
    if (!read_data) progress.report(1.0 / double(count));
    for (uint64_t i = 1; i < count; ++i) {
      splits.push_back(open_split(prefix + split_suffix(i + 1, count), opts));
      check_split_keys(splits.back(), i, count);
      if (!read_data) progress.report(double(i + 1) / double(count));
    }
    uint64_t n_tensors = 0;
    for (const Split &s : splits) n_tensors += s.header.tensors.size();
    const auto expected = int_key(splits[0].header, path, "split.tensors.count");
    if (!expected) fail(DSV4_ERR_FORMAT, path + ": key 'split.tensors.count' is missing from a split set");
    if (*expected < 0 || static_cast<uint64_t>(*expected) != n_tensors)
      fail(DSV4_ERR_FORMAT, path + ": key 'split.tensors.count' = " + str_i(*expected) + " but the " + str(count) +
                                " splits hold " + str(n_tensors) + " tensors");
  }
  // Phase 2 (use_mmap=false): read the data sections into owned memory.
  if (read_data) {
    uint64_t total = 0, done = 0;
    for (const Split &s : splits) total += s.header.data_end;
    if (opts.owned_bytes_limit) check_memory_plan("reading '" + path + "' into memory (use_mmap = 0)", total, opts.owned_bytes_limit);
    for (Split &s : splits) read_split_data(s, progress, done, total);
  }
  auto impl = std::make_unique<Impl>();
  impl->assemble(splits);
  impl->mapped = opts.use_mmap && opts.load_data;
  progress.report(1.0);
  return std::unique_ptr<File>(new File(std::move(impl)));
}

std::unique_ptr<File> File::open_bytes(const uint8_t *bytes, size_t n, const std::string &name, const OpenOptions &opts) {
  if (!bytes && n) fail(DSV4_ERR_INVALID_ARGUMENT, name + ": null image of " + str(n) + " bytes");
  const Progress progress(opts.progress, name);
  progress.report(0.0);
  Split s;
  s.path = name;
  s.file_size = n;
  if (opts.load_data) {
    s.storage = Storage::allocate(n, name);
    if (n) std::memcpy(s.storage->owned(), bytes, n);
    Input in(s.storage->bytes(), n);
    s.header = HeaderParser(in, name).parse();
    s.data_base = s.storage->bytes() + s.header.data_start;
  } else {
    Input in(bytes, n);
    s.header = HeaderParser(in, name).parse();
  }
  if (split_count(s.header, name) > 1)
    fail(DSV4_ERR_INVALID_ARGUMENT, name + ": a split set (split.count > 1) must be opened from the first file's path");
  std::vector<Split> splits;
  splits.push_back(std::move(s));
  auto impl = std::make_unique<Impl>();
  impl->assemble(splits);
  progress.report(1.0);
  return std::unique_ptr<File>(new File(std::move(impl)));
}

uint32_t File::version() const { return impl_->version; }
uint32_t File::alignment() const { return impl_->alignment; }
size_t File::n_splits() const { return impl_->split_paths.size(); }
const std::string &File::path() const { return impl_->path; }
const std::string &File::split_path(size_t i) const {
  if (i >= impl_->split_paths.size())
    fail(DSV4_ERR_INVALID_ARGUMENT, impl_->path + ": split index " + str(i) + " out of range (" +
                                        str(impl_->split_paths.size()) + " splits)");
  return impl_->split_paths[i];
}
uint64_t File::file_bytes() const { return impl_->file_bytes; }

bool File::release_pages(const uint8_t *p, uint64_t n) const {
  if (!impl_->mapped || n == 0) return false;
  // Whole pages inside the range only: the neighbours' bytes stay mapped.
  const auto page = static_cast<uintptr_t>(::sysconf(_SC_PAGESIZE));
  const uintptr_t begin = (reinterpret_cast<uintptr_t>(p) + page - 1) / page * page;
  const uintptr_t end = (reinterpret_cast<uintptr_t>(p) + n) / page * page;
  if (end <= begin) return false;
  // The mapping is private and read-only: dropped pages fault in again from the file when read.
  return ::madvise(reinterpret_cast<void *>(begin), end - begin, MADV_DONTNEED) == 0;
}
const std::vector<KeyValue> &File::metadata() const { return impl_->metadata; }
const std::vector<TensorInfo> &File::tensors() const { return impl_->tensors; }

const Value *File::find(std::string_view key) const {
  auto it = impl_->key_index.find(key);
  return it == impl_->key_index.end() ? nullptr : &impl_->metadata[it->second].value;
}

const TensorInfo *File::find_tensor(std::string_view name) const {
  auto it = impl_->tensor_index.find(name);
  return it == impl_->tensor_index.end() ? nullptr : &impl_->tensors[it->second];
}

namespace {

[[noreturn]] void wrong_type(const std::string &path, std::string_view key, const Value &v, const char *wanted) {
  std::string got = value_type_name(v.type);
  if (v.type == ValueType::ARRAY) got += std::string(" of ") + value_type_name(v.elem);
  fail(DSV4_ERR_FORMAT, path + ": key '" + std::string(key) + "' has type " + got + ", expected " + wanted);
}

int64_t checked_int(const std::string &path, std::string_view key, ValueType t, int64_t raw) {
  if (t == ValueType::U64 && raw < 0)
    fail(DSV4_ERR_FORMAT, path + ": key '" + std::string(key) + "' value " + str(static_cast<uint64_t>(raw)) +
                              " does not fit in int64");
  return raw;
}

}  // namespace

std::optional<int64_t> File::get_int(std::string_view key) const {
  const Value *v = find(key);
  if (!v) return std::nullopt;
  if (!is_integer(v->type)) wrong_type(impl_->path, key, *v, "an integer");
  return checked_int(impl_->path, key, v->type, v->i);
}

std::optional<double> File::get_float(std::string_view key) const {
  const Value *v = find(key);
  if (!v) return std::nullopt;
  if (v->type != ValueType::F32 && v->type != ValueType::F64) wrong_type(impl_->path, key, *v, "f32 or f64");
  return v->f;
}

std::optional<bool> File::get_bool(std::string_view key) const {
  const Value *v = find(key);
  if (!v) return std::nullopt;
  if (v->type != ValueType::BOOL) wrong_type(impl_->path, key, *v, "bool");
  return v->i != 0;
}

std::optional<std::string> File::get_string(std::string_view key) const {
  const Value *v = find(key);
  if (!v) return std::nullopt;
  if (v->type != ValueType::STRING) wrong_type(impl_->path, key, *v, "string");
  return v->s;
}

std::optional<std::vector<int64_t>> File::get_int_array(std::string_view key) const {
  const Value *v = find(key);
  if (!v) return std::nullopt;
  if (v->type != ValueType::ARRAY || !is_integer(v->elem)) wrong_type(impl_->path, key, *v, "an integer array");
  for (int64_t x : v->ints) checked_int(impl_->path, key, v->elem, x);
  return v->ints;
}

const std::vector<std::string> *File::get_string_array(std::string_view key) const {
  const Value *v = find(key);
  if (!v) return nullptr;
  if (v->type != ValueType::ARRAY || v->elem != ValueType::STRING) wrong_type(impl_->path, key, *v, "a string array");
  return &v->strings;
}

}  // namespace dsv4::gguf
