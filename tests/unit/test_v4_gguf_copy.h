// Test helper: copies a GGUF through dsv4::gguf::Writer with edits — keys dropped or set,
// tensors dropped, replaced (other type / shape / bytes) or joined by new ones.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "format/gguf.h"

namespace dsv4::test {

struct TensorOut {
  std::string name;
  uint32_t type = 0;
  std::vector<int64_t> ne;
  std::vector<uint8_t> bytes;
};

// map(t) returns what to write for source tensor t: {} drops it; nullptr-map keeps everything.
inline void copy_gguf(const std::string &src_path, const std::string &out_path, const std::string &drop_key,
                      const std::function<void(gguf::Writer &)> &set,
                      const std::function<std::vector<TensorOut>(const gguf::TensorInfo &)> &map) {
  const auto src = gguf::File::open(src_path);
  gguf::Writer w(out_path, src->alignment());
  for (const gguf::KeyValue &kv : src->metadata())
    if (kv.key != drop_key && kv.key != "general.alignment") w.set(kv.key, kv.value);
  if (set) set(w);
  std::vector<TensorOut> out;
  for (const gguf::TensorInfo &t : src->tensors()) {
    if (map) {
      for (TensorOut &o : map(t)) out.push_back(std::move(o));
      continue;
    }
    TensorOut o{t.name, t.type, std::vector<int64_t>(t.ne, t.ne + std::max<uint32_t>(t.n_dims, 1)),
                std::vector<uint8_t>(t.data, t.data + t.nbytes)};
    out.push_back(std::move(o));
  }
  for (const TensorOut &o : out) w.add_tensor(o.name, o.type, o.ne);
  for (const TensorOut &o : out) w.write_tensor(o.name, o.bytes.data(), o.bytes.size());
  w.finish();
}

// The source tensor unchanged.
inline TensorOut same(const gguf::TensorInfo &t) {
  return TensorOut{t.name, t.type, std::vector<int64_t>(t.ne, t.ne + std::max<uint32_t>(t.n_dims, 1)),
                   std::vector<uint8_t>(t.data, t.data + t.nbytes)};
}

}  // namespace dsv4::test
