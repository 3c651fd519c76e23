#include "model/arch/deepseek4_state.h"

#include <algorithm>
#include <cstring>
#include <limits>

#include "backend/kv_format.h"
#include "common/error.h"

namespace dsv4 {
namespace {

// Bytes of the compressor rows a snapshot keeps for a ratio-4 layer: rows 0..3 (the previous
// block) of kv and score, for the main and the indexer compressor.
uint64_t csa_snapshot_rows_bytes(int64_t head_dim, int64_t key_dim) {
  return 2ull * 4 * (2 * head_dim) * 4 + 2ull * 4 * (2 * key_dim) * 4;
}

uint64_t compressor_bytes(int64_t ratio, int64_t dim) {
  const int64_t rows = ratio == 4 ? 8 : ratio, width = ratio == 4 ? 2 * dim : dim;
  return 2ull * static_cast<uint64_t>(rows * width) * 4;  // kv + score, f32
}

}  // namespace

KvFormat v4_kv_format(CacheType t) {
  return t == CacheType::kF32 ? KvFormat::kF32 : t == CacheType::kBF16 ? KvFormat::kBF16 : KvFormat::kFP8;
}
KvFormat v4_key_format(CacheType t) {
  return t == CacheType::kF32 ? KvFormat::kF32 : t == CacheType::kBF16 ? KvFormat::kBF16 : KvFormat::kFP4;
}

Deepseek4StatePlan plan_deepseek4_state(const Deepseek4Config &c, const StateOptions &o) {
  if (o.snapshot_interval <= 0 || o.snapshot_interval % 128 != 0)
    fail(DSV4_ERR_INVALID_ARGUMENT, "snapshot interval " + std::to_string(o.snapshot_interval) +
                                        " is not a positive multiple of 128");
  if (o.n_ctx < 0 || o.n_seq < 1) fail(DSV4_ERR_INVALID_ARGUMENT, "bad state size");
  const uint64_t kv_row = kv_row_bytes(v4_kv_format(o.cache_type), c.head_dim, c.d_nope());
  const uint64_t key_row = c.idx_head_dim ? kv_row_bytes(v4_key_format(o.cache_type), c.idx_head_dim, 0) : 0;
  const uint64_t L = static_cast<uint64_t>(o.n_ctx);
  Deepseek4StatePlan p;
  p.n_snapshots = o.n_ctx > 0 ? (o.n_ctx - 1) / o.snapshot_interval : 0;
  for (int64_t il = 0; il < c.n_layer; ++il) {
    const int32_t r = c.ratio(il);
    p.window += static_cast<uint64_t>(c.window) * kv_row;
    p.snapshot_bytes += static_cast<uint64_t>(c.window) * kv_row;
    if (r > 0) {
      p.compressed += L / static_cast<uint64_t>(r) * kv_row;
      p.compressor += compressor_bytes(r, c.head_dim);
    }
    if (r == 4) {
      p.indexer += L / 4 * key_row;
      p.compressor += compressor_bytes(4, c.idx_head_dim);
      p.snapshot_bytes += csa_snapshot_rows_bytes(c.head_dim, c.idx_head_dim);
    }
  }
  const uint64_t n_seq = static_cast<uint64_t>(o.n_seq);
  p.window *= n_seq;
  p.compressed *= n_seq;
  p.indexer *= n_seq;
  p.compressor *= n_seq;
  p.snapshots = p.snapshot_bytes * static_cast<uint64_t>(p.n_snapshots) * n_seq;
  return p;
}

void CompressorState::allocate(int64_t r, int64_t d) {
  ratio = r;
  dim = d;
  kv.assign(static_cast<size_t>(rows() * width()), 0.0f);
  score.assign(kv.size(), 0.0f);
  reset();
}

void CompressorState::reset() {
  std::fill(kv.begin(), kv.end(), 0.0f);
  std::fill(score.begin(), score.end(), -std::numeric_limits<float>::infinity());
}

void CompressorState::write(int64_t pos, const float *k, const float *g) {
  // ratio 4: rows 4..7 hold this block (rows 0..3 the previous one); else row pos mod r.
  const int64_t row = ratio == 4 ? 4 + pos % 4 : pos % ratio, w = width();
  std::memcpy(kv.data() + row * w, k, static_cast<size_t>(w) * 4);
  std::memcpy(score.data() + row * w, g, static_cast<size_t>(w) * 4);
}

void CompressorState::advance() {
  if (ratio != 4) return;
  const size_t half = static_cast<size_t>(4 * width());
  std::copy(kv.begin() + half, kv.begin() + 2 * half, kv.begin());
  std::copy(score.begin() + half, score.begin() + 2 * half, score.begin());
}

Deepseek4State::Deepseek4State(const Deepseek4Config &c, const StateOptions &o)
    : opts(o),
      kv_format(v4_kv_format(o.cache_type)),
      key_format(v4_key_format(o.cache_type)),
      head_dim(c.head_dim),
      n_quant(c.d_nope()),
      key_dim(c.idx_head_dim),
      window(c.window),
      ratio(c.compress_ratio) {
  const Deepseek4StatePlan plan = plan_deepseek4_state(c, o);
  kv_row = kv_row_bytes(kv_format, head_dim, n_quant);
  key_row = key_dim ? kv_row_bytes(key_format, key_dim, 0) : 0;
  for (int64_t il = 0; il < c.n_layer; ++il) {
    snap_offset_.push_back(snapshot_bytes_);
    snapshot_bytes_ += static_cast<uint64_t>(window) * kv_row;
    if (c.ratio(il) == 4) snapshot_bytes_ += csa_snapshot_rows_bytes(head_dim, key_dim);
  }
  seqs.resize(static_cast<size_t>(o.n_seq));
  for (SeqState &s : seqs) {
    s.layers.resize(static_cast<size_t>(c.n_layer));
    for (int64_t il = 0; il < c.n_layer; ++il) {
      LayerState &l = s.layers[static_cast<size_t>(il)];
      const int32_t r = c.ratio(il);
      l.ring.assign(static_cast<size_t>(window * kv_row), 0);
      if (r > 0) {
        l.compressed.assign(static_cast<size_t>(o.n_ctx / r * kv_row), 0);
        l.main.allocate(r, head_dim);
      }
      if (r == 4) {
        l.index_keys.assign(static_cast<size_t>(o.n_ctx / 4 * key_row), 0);
        l.index.allocate(4, key_dim);
      }
    }
    s.snapshots.assign(static_cast<size_t>(snapshot_bytes_ * plan.n_snapshots), 0);
    s.snapshot_valid.assign(static_cast<size_t>(plan.n_snapshots), 0);
  }
}

uint64_t Deepseek4State::allocated_bytes() const {
  uint64_t n = 0;
  for (const SeqState &s : seqs) {
    n += s.snapshots.size();
    for (const LayerState &l : s.layers)
      n += l.ring.size() + l.compressed.size() + l.index_keys.size() +
           4 * (l.main.kv.size() + l.main.score.size() + l.index.kv.size() + l.index.score.size());
  }
  return n;
}

int64_t Deepseek4State::snapshot_slot(int64_t pos) const {
  const int64_t K = opts.snapshot_interval;
  if (pos <= 0 || pos % K != 0) return -1;
  const int64_t slot = pos / K - 1;
  return slot < static_cast<int64_t>(seqs[0].snapshot_valid.size()) ? slot : -1;
}

void Deepseek4State::save_snapshot(int32_t seq, int64_t il, int64_t slot) {
  SeqState &s = seqs[static_cast<size_t>(seq)];
  const LayerState &l = s.layers[static_cast<size_t>(il)];
  uint8_t *dst = s.snapshots.data() + static_cast<uint64_t>(slot) * snapshot_bytes_ + snap_offset_[static_cast<size_t>(il)];
  std::memcpy(dst, l.ring.data(), l.ring.size());
  dst += l.ring.size();
  if (ratio[static_cast<size_t>(il)] != 4) return;
  for (const CompressorState *cs : {&l.main, &l.index})
    for (const std::vector<float> *v : {&cs->kv, &cs->score}) {
      const size_t n = static_cast<size_t>(4 * cs->width()) * 4;  // rows 0..3
      std::memcpy(dst, v->data(), n);
      dst += n;
    }
}

int64_t Deepseek4State::newest_snapshot(int32_t seq, int64_t pos) const {
  const SeqState &s = seqs[static_cast<size_t>(seq)];
  for (int64_t slot = std::min<int64_t>(pos / opts.snapshot_interval, static_cast<int64_t>(s.snapshot_valid.size())) - 1;
       slot >= 0; --slot)
    if (s.snapshot_valid[static_cast<size_t>(slot)]) return (slot + 1) * opts.snapshot_interval;
  return 0;
}

void Deepseek4State::restore(int32_t seq, int64_t pos) {
  SeqState &s = seqs[static_cast<size_t>(seq)];
  const int64_t slot = snapshot_slot(pos);
  if (pos != 0 && (slot < 0 || !s.snapshot_valid[static_cast<size_t>(slot)]))
    fail(DSV4_ERR_INTERNAL, "no snapshot at position " + std::to_string(pos));
  for (size_t il = 0; il < s.layers.size(); ++il) {
    LayerState &l = s.layers[il];
    if (!l.main.kv.empty()) l.main.reset();
    if (!l.index.kv.empty()) l.index.reset();
    if (pos == 0) continue;  // the empty state: nothing in the ring is ever read
    const uint8_t *src = s.snapshots.data() + static_cast<uint64_t>(slot) * snapshot_bytes_ + snap_offset_[il];
    std::memcpy(l.ring.data(), src, l.ring.size());
    src += l.ring.size();
    if (ratio[il] != 4) continue;
    for (CompressorState *cs : {&l.main, &l.index})
      for (std::vector<float> *v : {&cs->kv, &cs->score}) {
        const size_t n = static_cast<size_t>(4 * cs->width()) * 4;
        std::memcpy(v->data(), src, n);
        src += n;
      }
  }
  for (size_t k = 0; k < s.snapshot_valid.size(); ++k)
    if (static_cast<int64_t>(k + 1) * opts.snapshot_interval > pos) s.snapshot_valid[k] = 0;
  s.n_past = pos;
  s.dirty = false;
}

}  // namespace dsv4
