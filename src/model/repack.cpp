#include "model/repack.h"

#include <sys/mman.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <thread>

#include "backend/cpu/cpu_features.h"
#include "backend/cpu/packed.h"
#include "common/error.h"
#include "common/log.h"
#include "common/memory.h"
#include "format/ggml_type.h"
#include "format/gguf.h"

namespace dsv4 {

const char *repack_mode_name(RepackMode m) {
  switch (m) {
    case RepackMode::kOff: return "off";
    case RepackMode::kOn: return "on";
    default: return "auto";
  }
}

bool parse_repack_mode(const char *s, RepackMode *out) {
  for (RepackMode m : {RepackMode::kAuto, RepackMode::kOff, RepackMode::kOn})
    if (std::strcmp(s, repack_mode_name(m)) == 0) {
      *out = m;
      return true;
    }
  return false;
}

bool repack_enabled(RepackMode mode, uint64_t file_bytes, uint64_t memory_limit) {
  if (mode == RepackMode::kOn) return true;
  if (mode == RepackMode::kOff) return false;
  // Without the packed kernels every packed matmul would first restore its rows: slower.
  return cpu_features().has(Isa::kAvx512) && file_bytes <= memory_limit / 2;
}

bool is_matmul_weight(const std::string &name) {
  if (name.size() < 7 || name.compare(name.size() - 7, 7, ".weight") != 0) return false;
  for (const char *other : {"token_embd.", "attn_k_b.", "attn_v_b.", "attn_kv_b.", "_fn.", "_ape.", "tid2eid."})
    if (name.find(other) != std::string::npos) return false;
  return true;
}

uint64_t packed_weight_bytes(uint32_t type, int64_t ne0, int64_t ne1, int64_t ne2) {
  const cpu::PackedLayout *l = cpu::packed_layout(type);
  if (!l || ne0 <= 0 || ne0 % type_info(type)->block_size != 0) return 0;
  const uint64_t groups = static_cast<uint64_t>((ne1 + cpu::kPackRows - 1) / cpu::kPackRows);
  return l->group_bytes(ne0) * groups * static_cast<uint64_t>(ne2);
}

uint64_t packed_file_bytes(const gguf::File &file) {
  uint64_t total = 0;
  for (const gguf::TensorInfo &t : file.tensors())
    if (t.nbytes > 0 && is_matmul_weight(t.name)) total += packed_weight_bytes(t.type, t.ne[0], t.ne[1], t.ne[2] * t.ne[3]);
  return total;
}

PackedWeights::PackedWeights(const gguf::File &file, RepackMode mode, bool enabled, uint64_t memory_limit)
    : file_(file), mode_(mode), enabled_(enabled), limit_(memory_limit), planned_(enabled ? packed_file_bytes(file) : 0) {}

PackedWeights::~PackedWeights() {
  for (void *p : blocks_) std::free(p);
}

void PackedWeights::pack(WeightView &v) {
  if (!enabled_ || stopped_ || v.is_fp8() || !v.valid()) return;
  const uint64_t bytes = packed_weight_bytes(v.type, v.ne0, v.ne1, v.ne2);
  if (bytes == 0) return;
  if (bytes_ + bytes > limit_) {
    if (mode_ == RepackMode::kOn)
      check_memory_plan(std::string("repacking the weights (repack = on), at '") + v.name + "'", bytes_ + bytes, limit_);
    stopped_ = true;
    log_warn(std::string("repack = auto: the memory limit is reached at '") + v.name +
             "'; it and the remaining weights stay unpacked");
    return;
  }
  // 2 MiB aligned so the kernel can back large copies with huge pages (fewer TLB misses while
  // decode streams them).
  constexpr size_t kHuge = size_t{2} << 20;
  const size_t align = bytes >= kHuge ? kHuge : 64;
  blocks_.reserve(blocks_.size() + 1);  // so that recording the block cannot fail after allocating it
  void *mem = nullptr;
  if (posix_memalign(&mem, align, (bytes + align - 1) / align * align) != 0 || !mem)
    fail(DSV4_ERR_OUT_OF_MEMORY, std::string("repacking '") + v.name + "': cannot allocate " + format_bytes(bytes));
  if (align == kHuge) ::madvise(mem, bytes, MADV_HUGEPAGE);
  blocks_.push_back(mem);
  bytes_ += bytes;

  const cpu::PackedLayout &l = *cpu::packed_layout(v.type);
  auto *dst = static_cast<uint8_t *>(mem);
  const int64_t G = (v.ne1 + cpu::kPackRows - 1) / cpu::kPackRows, n_groups = G * v.ne2;
  const uint64_t gb = l.group_bytes(v.ne0), pmb = gb * static_cast<uint64_t>(G);
  const auto pack_range = [&](int64_t g0, int64_t g1) {
    for (int64_t g = g0; g < g1; ++g) {
      const int64_t m = g / G, r0 = (g % G) * cpu::kPackRows;
      l.pack(v.data + static_cast<uint64_t>(m) * v.matrix_bytes + static_cast<uint64_t>(r0) * v.row_bytes,
             v.row_bytes, std::min(cpu::kPackRows, v.ne1 - r0), v.ne0, dst + static_cast<uint64_t>(g) * gb);
    }
  };
  // Large tensors on every core: load time is mostly this copy.
  const int64_t n_threads = bytes < (uint64_t{8} << 20) ? 1 : std::max(1u, std::thread::hardware_concurrency());
  std::vector<std::thread> threads;
  try {
    for (int64_t i = 1; i < n_threads; ++i)
      threads.emplace_back(pack_range, n_groups * i / n_threads, n_groups * (i + 1) / n_threads);
  } catch (...) {  // no thread for the rest: this one packs it
    pack_range(n_groups * static_cast<int64_t>(threads.size() + 1) / n_threads, n_groups);
  }
  pack_range(0, n_groups / n_threads);
  for (std::thread &t : threads) t.join();

  v.packed = dst;
  v.packed_group_bytes = gb;
  v.packed_matrix_bytes = pmb;
  if (file_.release_pages(v.data, v.bytes())) released_ += v.bytes();
  if (progress_ && planned_ > 0 &&
      !progress_(static_cast<float>(std::min(1.0, static_cast<double>(bytes_) / static_cast<double>(planned_)))))
    fail(DSV4_CANCELLED, "model load cancelled by the progress callback (while repacking)");
}

}  // namespace dsv4
