// Byte-level BPE merging of one pre-tokenized piece. Symbols start as the tokens of single
// bytes and the adjacent pair with the lowest merge rank is merged first (ties: leftmost), the
// rule of HF `tokenizers` BPE and llama.cpp alike. Symbols are token ids, so a merge is one
// hash lookup of (left id, right id) and never builds strings.
#pragma once

#include <array>
#include <cstdint>
#include <string_view>
#include <vector>

namespace dsv4 {

struct BpeMerge {
  int32_t left = 0;
  int32_t right = 0;
  int32_t result = 0;
};

// Reusable working memory of encode_word; one per encoding call (not shared between threads).
struct BpeScratch {
  struct Candidate {
    uint32_t rank;
    int32_t left;      // index of the left symbol
    int32_t left_id;   // the pair as it was when queued; a candidate whose symbols changed
    int32_t right_id;  // since is stale and skipped
  };
  std::vector<int32_t> id, next, prev;
  std::vector<uint32_t> rank;     // short words: rank of the pair starting at each symbol
  std::vector<int32_t> result;    // and the token it merges into
  std::vector<Candidate> heap;
};

class BpeModel {
 public:
  // byte_tokens[b] is the token of byte b. merges are in rank order (rank = index); when a pair
  // is listed twice the first (lower) rank is kept.
  BpeModel(const std::array<int32_t, 256> &byte_tokens, const std::vector<BpeMerge> &merges);

  // Appends the tokens of `bytes` (raw bytes, any values) to out. Words of up to
  // kScanMaxBytes find the next merge by scanning their pairs (no heap, fewer cache misses);
  // longer ones use a priority queue. Both pick the same pair: lowest rank, then leftmost.
  void encode_word(std::string_view bytes, std::vector<int32_t> &out, BpeScratch &scratch) const;
  static constexpr size_t kScanMaxBytes = 48;

  // The two strategies, callable directly so tests can check they agree.
  void encode_word_scan(std::string_view bytes, std::vector<int32_t> &out, BpeScratch &scratch) const;
  void encode_word_queue(std::string_view bytes, std::vector<int32_t> &out, BpeScratch &scratch) const;

  size_t n_merges() const { return n_merges_; }

 private:
  struct Slot {
    uint64_t key;     // (left << 32) | right; kEmpty when unused
    uint32_t rank;
    int32_t result;
  };
  static constexpr uint64_t kEmpty = ~uint64_t{0};

  const Slot *find(int32_t left, int32_t right) const;
  void init_symbols(std::string_view bytes, BpeScratch &sc) const;

  std::array<int32_t, 256> byte_tokens_;
  std::vector<Slot> slots_;  // open addressing, power-of-two size, linear probing
  uint64_t mask_ = 0;
  size_t n_merges_ = 0;
};

}  // namespace dsv4
