#include "tokenizer/bpe.h"

#include <algorithm>

namespace dsv4 {
namespace {

uint64_t pair_key(int32_t left, int32_t right) {
  return (static_cast<uint64_t>(static_cast<uint32_t>(left)) << 32) | static_cast<uint32_t>(right);
}

uint64_t mix(uint64_t k) {  // a 64-bit finaliser (murmur3 fmix64 constants) spreads the ids
  k ^= k >> 33;
  k *= 0xff51afd7ed558ccdULL;
  k ^= k >> 33;
  k *= 0xc4ceb9fe1a85ec53ULL;
  k ^= k >> 33;
  return k;
}

// Heap order: lowest rank first, then leftmost position.
struct Later {
  bool operator()(const BpeScratch::Candidate &a, const BpeScratch::Candidate &b) const {
    return a.rank != b.rank ? a.rank > b.rank : a.left > b.left;
  }
};

constexpr uint32_t kNoMerge = ~uint32_t{0};

}  // namespace

BpeModel::BpeModel(const std::array<int32_t, 256> &byte_tokens, const std::vector<BpeMerge> &merges)
    : byte_tokens_(byte_tokens) {
  size_t cap = 16;
  while (cap < merges.size() * 2) cap *= 2;
  slots_.assign(cap, Slot{kEmpty, 0, 0});
  mask_ = cap - 1;
  for (size_t rank = 0; rank < merges.size(); ++rank) {
    const BpeMerge &m = merges[rank];
    uint64_t key = pair_key(m.left, m.right);
    for (uint64_t i = mix(key) & mask_;; i = (i + 1) & mask_) {
      if (slots_[i].key == key) break;  // duplicate pair: the earlier rank stays
      if (slots_[i].key == kEmpty) {
        slots_[i] = Slot{key, static_cast<uint32_t>(rank), m.result};
        ++n_merges_;
        break;
      }
    }
  }
}

const BpeModel::Slot *BpeModel::find(int32_t left, int32_t right) const {
  uint64_t key = pair_key(left, right);
  for (uint64_t i = mix(key) & mask_;; i = (i + 1) & mask_) {
    const Slot &s = slots_[i];
    if (s.key == key) return &s;
    if (s.key == kEmpty) return nullptr;
  }
}

void BpeModel::init_symbols(std::string_view bytes, BpeScratch &sc) const {
  const size_t n = bytes.size();
  sc.id.resize(n);
  sc.next.resize(n);
  sc.prev.resize(n);
  for (size_t i = 0; i < n; ++i) {
    sc.id[i] = byte_tokens_[static_cast<uint8_t>(bytes[i])];
    sc.prev[i] = static_cast<int32_t>(i) - 1;
    sc.next[i] = i + 1 < n ? static_cast<int32_t>(i + 1) : -1;
  }
}

void BpeModel::encode_word(std::string_view bytes, std::vector<int32_t> &out, BpeScratch &sc) const {
  if (bytes.size() == 1) {
    out.push_back(byte_tokens_[static_cast<uint8_t>(bytes[0])]);
  } else if (bytes.size() <= kScanMaxBytes) {
    encode_word_scan(bytes, out, sc);
  } else {
    encode_word_queue(bytes, out, sc);
  }
}

void BpeModel::encode_word_scan(std::string_view bytes, std::vector<int32_t> &out, BpeScratch &sc) const {
  const size_t n = bytes.size();
  if (n == 0) return;
  init_symbols(bytes, sc);
  sc.rank.resize(n);
  sc.result.resize(n);
  auto set_pair = [&](int32_t left) {  // rank of the pair (left, next[left])
    int32_t right = sc.next[left];
    const Slot *s = right < 0 ? nullptr : find(sc.id[left], sc.id[right]);
    sc.rank[left] = s ? s->rank : kNoMerge;
    sc.result[left] = s ? s->result : -1;
  };
  for (size_t i = 0; i < n; ++i) set_pair(static_cast<int32_t>(i));
  for (;;) {
    int32_t best = -1;
    uint32_t best_rank = kNoMerge;
    for (int32_t i = 0; i >= 0; i = sc.next[i])
      if (sc.rank[i] < best_rank) {  // strict: the leftmost of equal ranks wins
        best_rank = sc.rank[i];
        best = i;
      }
    if (best < 0) break;
    int32_t right = sc.next[best];
    sc.id[best] = sc.result[best];
    int32_t after = sc.next[right];
    sc.next[best] = after;
    if (after >= 0) sc.prev[after] = best;
    set_pair(best);
    if (sc.prev[best] >= 0) set_pair(sc.prev[best]);
  }
  for (int32_t i = 0; i >= 0; i = sc.next[i]) out.push_back(sc.id[i]);
}

void BpeModel::encode_word_queue(std::string_view bytes, std::vector<int32_t> &out, BpeScratch &sc) const {
  const size_t n = bytes.size();
  if (n == 0) return;
  init_symbols(bytes, sc);
  auto &heap = sc.heap;
  heap.clear();
  auto push_pair = [&](int32_t left) {
    int32_t right = sc.next[left];
    if (right < 0) return;
    if (const Slot *s = find(sc.id[left], sc.id[right])) {
      heap.push_back({s->rank, left, sc.id[left], sc.id[right]});
      std::push_heap(heap.begin(), heap.end(), Later{});
    }
  };
  for (size_t i = 0; i + 1 < n; ++i) push_pair(static_cast<int32_t>(i));

  while (!heap.empty()) {
    std::pop_heap(heap.begin(), heap.end(), Later{});
    BpeScratch::Candidate c = heap.back();
    heap.pop_back();
    int32_t left = c.left;
    int32_t right = sc.next[left];
    if (sc.id[left] != c.left_id || right < 0 || sc.id[right] != c.right_id) continue;  // stale
    // Merge right into left: left takes the result, right leaves the list.
    sc.id[left] = find(c.left_id, c.right_id)->result;
    sc.id[right] = -1;
    int32_t after = sc.next[right];
    sc.next[left] = after;
    if (after >= 0) sc.prev[after] = left;
    if (sc.prev[left] >= 0) push_pair(sc.prev[left]);
    push_pair(left);
  }
  for (int32_t i = 0; i >= 0; i = sc.next[i]) out.push_back(sc.id[i]);
}

}  // namespace dsv4
