// Repacking of matmul weights at load (model parameter `repack`): each weight the forward pass
// only ever multiplies through Backend::matmul / matmul_stacked is copied into the interleaved
// layout of its type (src/backend/cpu/packed.h), the copy counted against the memory limit, and
// the mapped pages of the original handed back to the kernel.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "backend/backend.h"

namespace dsv4 {
namespace gguf {
class File;
}

// Values equal DSV4_REPACK_* of dsv4.h.
enum class RepackMode : uint32_t { kAuto = 0, kOff = 1, kOn = 2 };

const char *repack_mode_name(RepackMode m);  // "auto", "off", "on"
bool parse_repack_mode(const char *s, RepackMode *out);

// Whether a load repacks: kOn always; kAuto when this CPU has the packed kernels (AVX-512 VNNI)
// and the file is at most half the memory limit (the copy must not push the model out of RAM).
bool repack_enabled(RepackMode mode, uint64_t file_bytes, uint64_t memory_limit);

// The weights the forward passes only multiply through Backend::matmul / matmul_stacked (and
// views of them by matrix(i2) / rows() / stacked_rows()), by GGUF name: the ones repacked, and
// the ones `dsv4 plan` counts. Not: the embedding (row lookups), MLA's k_b / v_b / kv_b
// (transposed products and per-head row slices), the mHC and compressor tables, hash routing.
bool is_matmul_weight(const std::string &name);

// Bytes of the packed copy of a [ne2][ne1][ne0] weight of `type`; 0 when it is not repacked
// (no packed layout for the type, or ne0 not a multiple of its block).
uint64_t packed_weight_bytes(uint32_t type, int64_t ne0, int64_t ne1, int64_t ne2);

// The packed bytes of every matmul weight of a file: what a load with repack = on allocates.
uint64_t packed_file_bytes(const gguf::File &file);

class PackedWeights {
 public:
  // kOn: a copy that would exceed memory_limit fails the load with DSV4_ERR_OUT_OF_MEMORY;
  // kAuto: the weights that no longer fit stay unpacked.
  PackedWeights(const gguf::File &file, RepackMode mode, bool enabled, uint64_t memory_limit);
  ~PackedWeights();
  PackedWeights(const PackedWeights &) = delete;
  PackedWeights &operator=(const PackedWeights &) = delete;

  // Called after each packed weight with the fraction of the file's packed bytes done; false
  // cancels the load (DSV4_CANCELLED).
  void set_progress(std::function<bool(float)> progress) { progress_ = std::move(progress); }

  // Points v.packed at a packed copy of its rows when repacking is on and the type has a
  // layout; otherwise leaves v alone.
  void pack(WeightView &v);

  uint64_t bytes() const { return bytes_; }
  int64_t n_tensors() const { return static_cast<int64_t>(blocks_.size()); }
  uint64_t released_bytes() const { return released_; }

 private:
  const gguf::File &file_;
  RepackMode mode_;
  bool enabled_;
  uint64_t limit_;
  uint64_t bytes_ = 0, released_ = 0;
  uint64_t planned_ = 0;  // the packed bytes of every matmul weight in the file
  std::function<bool(float)> progress_;
  bool stopped_ = false;  // kAuto ran into the limit
  std::vector<void *> blocks_;
};

}  // namespace dsv4
