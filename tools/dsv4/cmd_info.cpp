// dsv4 info --model PATH: describes any GGUF file — architecture and tensor types need not be
// supported. One tab-separated record per line on stdout, first field names the record:
//   file / version / alignment / splits / split / file_bytes        container facts
//   kv <key> <type> <value>                                          metadata (arrays summarized)
//   tensor <name> <type> <shape> <bytes> <split>                     tensor table
//   type_total <type> <n_tensors> <elements> <bytes>                 bytes per tensor type
//   params <elements> / bytes <bytes>                                totals
#include <algorithm>
#include <cinttypes>
#include <cstdio>
#include <map>
#include <string>

#include "cli.h"
#include "model/config.h"
#include "format/ggml_type.h"
#include "format/gguf.h"

namespace dsv4::cli {
namespace {

using gguf::Value;
using gguf::ValueType;

constexpr size_t kMaxStringBytes = 256;  // longer strings (chat templates) are cut, with their size
constexpr size_t kMaxArrayShown = 8;     // arrays show their first elements only

// One line per record: tabs, newlines, quotes and control bytes are escaped; UTF-8 passes through.
std::string escape(const std::string &s, size_t limit) {
  std::string out;
  const size_t n = std::min(s.size(), limit);
  for (size_t i = 0; i < n; ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    switch (c) {
      case '\\': out += "\\\\"; break;
      case '"': out += "\\\""; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (c < 0x20 || c == 0x7F) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\x%02x", c);
          out += buf;
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  if (s.size() > limit) out += "...(" + std::to_string(s.size()) + " bytes)";
  return out;
}

std::string int_text(ValueType t, int64_t v) {
  if (t == ValueType::BOOL) return v ? "true" : "false";
  if (t == ValueType::U64) return std::to_string(static_cast<uint64_t>(v));
  return std::to_string(v);
}

std::string float_text(ValueType t, double v) {
  char buf[40];
  std::snprintf(buf, sizeof buf, t == ValueType::F32 ? "%.9g" : "%.17g", v);
  return buf;
}

std::string type_text(const Value &v) {
  if (v.type != ValueType::ARRAY) return gguf::value_type_name(v.type);
  return std::string("array[") + gguf::value_type_name(v.elem) + "]";
}

// "count\t[e0, e1, ...]" for arrays; nested arrays show each inner array's type and count.
std::string array_text(const Value &v) {
  const uint64_t n = v.array_size();
  std::string out = std::to_string(n) + "\t[";
  const size_t shown = static_cast<size_t>(std::min<uint64_t>(n, kMaxArrayShown));
  for (size_t i = 0; i < shown; ++i) {
    if (i) out += ", ";
    switch (v.elem) {
      case ValueType::F32:
      case ValueType::F64: out += float_text(v.elem, v.floats[i]); break;
      case ValueType::STRING: out += "\"" + escape(v.strings[i], 64) + "\""; break;
      case ValueType::ARRAY: out += type_text(v.nested[i]) + "(" + std::to_string(v.nested[i].array_size()) + ")"; break;
      default: out += int_text(v.elem, v.ints[i]); break;
    }
  }
  if (n > shown) out += ", ...";
  return out + "]";
}

std::string value_text(const Value &v) {
  switch (v.type) {
    case ValueType::F32:
    case ValueType::F64: return float_text(v.type, v.f);
    case ValueType::STRING: return escape(v.s, kMaxStringBytes);
    case ValueType::ARRAY: return array_text(v);
    default: return int_text(v.type, v.i);
  }
}

std::string shape_text(const gguf::TensorInfo &t) {
  std::string s = "[";
  for (uint32_t d = 0; d < t.n_dims; ++d) s += (d ? ", " : "") + std::to_string(t.ne[d]);
  return s + "]";
}

std::string type_name(uint32_t id) {
  const TypeInfo *ti = type_info(id);
  return ti ? ti->name : "type_" + std::to_string(id);
}

struct TypeTotal {
  uint64_t tensors = 0, elements = 0, bytes = 0;
};

void print_file(const gguf::File &f) {
  std::printf("file\t%s\n", f.path().c_str());
  std::printf("version\t%" PRIu32 "\n", f.version());
  std::printf("alignment\t%" PRIu32 "\n", f.alignment());
  std::printf("splits\t%zu\n", f.n_splits());
  for (size_t i = 0; i < f.n_splits(); ++i) std::printf("split\t%zu\t%s\n", i, f.split_path(i).c_str());
  std::printf("file_bytes\t%" PRIu64 "\n", f.file_bytes());
  std::printf("kv_count\t%zu\n", f.metadata().size());
  for (const gguf::KeyValue &kv : f.metadata())
    std::printf("kv\t%s\t%s\t%s\n", escape(kv.key, kv.key.size()).c_str(), type_text(kv.value).c_str(),
                value_text(kv.value).c_str());

  std::map<uint32_t, TypeTotal> totals;
  TypeTotal all;
  std::printf("tensor_count\t%zu\n", f.tensors().size());
  for (const gguf::TensorInfo &t : f.tensors()) {
    std::printf("tensor\t%s\t%s\t%s\t%" PRIu64 "\t%" PRIu32 "\n", escape(t.name, t.name.size()).c_str(),
                type_name(t.type).c_str(), shape_text(t).c_str(), t.nbytes, t.split);
    for (TypeTotal *x : {&totals[t.type], &all}) {
      x->tensors += 1;
      x->elements += static_cast<uint64_t>(t.n_elements());
      x->bytes += t.nbytes;
    }
  }
  for (const auto &[type, x] : totals)
    std::printf("type_total\t%s\t%" PRIu64 "\t%" PRIu64 "\t%" PRIu64 "\n", type_name(type).c_str(), x.tensors,
                x.elements, x.bytes);
  std::printf("params\t%" PRIu64 "\n", all.elements);
  std::printf("bytes\t%" PRIu64 "\n", all.bytes);
}

}  // namespace

// The validated config, for the architectures dsv4 runs; other files are described without it.
// An invalid config of a supported architecture throws (exit 1, the message names the key).
static void print_config(const gguf::File &file) {
  const std::string arch = file.get_string("general.architecture").value_or("");
  std::vector<std::string> lines;
  if (arch == "deepseek2") lines = Deepseek2Config::from_gguf(file).describe();
  else if (arch == "deepseek4") lines = Deepseek4Config::from_gguf(file).describe();
  else {
    std::printf("config\t(architecture '%s' is not one dsv4 runs: described without a config)\n", arch.c_str());
    return;
  }
  for (const std::string &l : lines) std::printf("config\t%s\n", l.c_str());
}

int cmd_info(int argc, char **argv) {
  Args args(argc, argv, {"--model", "-m"}, {});
  if (!args.positional().empty()) throw UsageError("unexpected argument '" + args.positional()[0] + "'");
  auto model = args.get("--model");
  if (!model) model = args.get("-m");
  if (!model) throw UsageError("missing --model PATH");

  // Header, metadata and tensor infos only: every structural check runs (including that the
  // data lies inside the file) without touching tensor bytes.
  gguf::OpenOptions opts;
  opts.load_data = false;
  const auto file = gguf::File::open(*model, opts);
  print_file(*file);

  print_config(*file);
  std::fflush(stdout);
  return 0;
}

}  // namespace dsv4::cli
