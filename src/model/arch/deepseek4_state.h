// Decode state of a deepseek4 model (deepseek-v4.md §5.1) and its memory plan (§5.2), computed
// from the configuration alone so `dsv4 plan` and the session agree byte for byte.
//
// Per sequence and layer: the window ring (W rows, every layer), the compressed KV entries
// (ratio r > 0: one row per r tokens), the index keys (ratio 4), and the compressors' partial
// block (f32 kv / score rows). Rewind snapshots (every K tokens, K a multiple of 128) hold what
// cannot be recomputed from the kept entries: the ring and, for ratio-4 layers, the previous
// block's compressor rows (at a multiple of 128 the ratio-128 compressor is empty).
#pragma once

#include <cstdint>
#include <vector>

#include "backend/backend.h"
#include "model/arch/arch.h"
#include "model/config.h"

namespace dsv4 {

// Bytes by part; `per_sequence` is the state one sequence needs at a time, `total` adds the
// snapshots.
struct Deepseek4StatePlan {
  uint64_t window = 0;      // window rings
  uint64_t compressed = 0;  // compressed KV entries
  uint64_t indexer = 0;     // index keys
  uint64_t compressor = 0;  // compressors' partial blocks (f32)
  uint64_t snapshots = 0;   // rewind snapshots
  int64_t n_snapshots = 0;  // per sequence
  uint64_t snapshot_bytes = 0;  // one snapshot of one sequence
  uint64_t per_sequence() const { return window + compressed + indexer + compressor; }
  uint64_t total() const { return per_sequence() + snapshots; }
};

// Row formats of the caches for a cache type: f32 / bf16 everywhere, or the packed layouts of
// §5.2 (FP8 KV rows, FP4 index keys) for CacheType::kFP8.
KvFormat v4_kv_format(CacheType t);
KvFormat v4_key_format(CacheType t);

// Throws INVALID_ARGUMENT for a snapshot interval that is not a positive multiple of 128.
Deepseek4StatePlan plan_deepseek4_state(const Deepseek4Config &c, const StateOptions &o);

// Scratch bytes of one forward call of T tokens (the arena deepseek4's forward allocates).
uint64_t deepseek4_scratch_bytes(const Deepseek4Config &c, const StateOptions &o, int64_t T);

// The partial block of one compressor (§4.4, incremental form): rows [c·r][c·d] of kv and of
// score (gate + ape), c = 2 for ratio 4 (overlapping), else 1.
struct CompressorState {
  int64_t ratio = 0, dim = 0;
  std::vector<float> kv, score;

  int64_t rows() const { return ratio == 4 ? 8 : ratio; }
  int64_t width() const { return ratio == 4 ? 2 * dim : dim; }
  void allocate(int64_t r, int64_t d);
  // Empty: kv 0, score −∞ (block 0 has no previous block).
  void reset();
  // Token at position pos (its k and g + ape, width() values each) into its row.
  void write(int64_t pos, const float *k, const float *g);
  bool completes_block(int64_t pos) const { return (pos + 1) % ratio == 0; }
  // After pooling a ratio-4 block: this block becomes the next block's previous block.
  void advance();
};

struct LayerState {
  std::vector<uint8_t> ring;        // [W][row]: position p in slot p mod W
  std::vector<uint8_t> compressed;  // [⌊n_ctx/r⌋][row]: entry j pools block j
  std::vector<uint8_t> index_keys;  // [⌊n_ctx/4⌋][key row]
  CompressorState main, index;
};

struct SeqState {
  int64_t n_past = 0;           // positions the state holds
  bool dirty = false;           // a forward stopped part-way: restore before use
  std::vector<LayerState> layers;
  std::vector<uint8_t> snapshots;       // n_snapshots × snapshot_bytes
  std::vector<uint8_t> snapshot_valid;  // per slot (bookkeeping, not counted)
};

class Deepseek4State final : public ArchState {
 public:
  std::vector<float> scratch;  // the forward pass's arena (deepseek4_impl.h), reused across calls
  Deepseek4State(const Deepseek4Config &c, const StateOptions &o);
  uint64_t allocated_bytes() const override;

  // Slot of the snapshot taken at position pos, or −1 when none is kept there.
  int64_t snapshot_slot(int64_t pos) const;
  // Saves layer il's part of the state of sequence seq into slot `slot`.
  void save_snapshot(int32_t seq, int64_t il, int64_t slot);
  // Newest valid snapshot position <= pos (0 = the empty state).
  int64_t newest_snapshot(int32_t seq, int64_t pos) const;
  // Makes sequence seq's state the one at position pos (0 or a valid snapshot position) and
  // drops the snapshots past it.
  void restore(int32_t seq, int64_t pos);

  StateOptions opts;
  KvFormat kv_format, key_format;
  int64_t head_dim, n_quant, key_dim, window;
  uint64_t kv_row, key_row;  // bytes of one row
  std::vector<int32_t> ratio;
  std::vector<SeqState> seqs;

 private:
  std::vector<uint64_t> snap_offset_;  // per layer: offset of its part inside one snapshot
  uint64_t snapshot_bytes_ = 0;
};

}  // namespace dsv4
