// A bounded cache of recently encoded pieces: text words repeat a lot ("the", " of"), and a
// hit skips BPE entirely. Direct-mapped (a piece has one slot, chosen by hash; a newer piece
// with the same slot replaces the older one), so memory is fixed and no LRU list is kept.
// Slots are guarded by striped mutexes, so one cache serves every thread sharing a Tokenizer.
#pragma once

#include <array>
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace dsv4 {

class WordCache {
 public:
  static constexpr size_t kSlots = 1 << 14;
  static constexpr size_t kStripes = 64;
  static constexpr size_t kMaxPieceBytes = 64;  // longer pieces are rare and are not cached

  // On a hit appends the cached tokens to out and returns true. hash is hash_of(piece).
  bool lookup(std::string_view piece, uint64_t hash, std::vector<int32_t> &out) const;
  // Stores tokens[begin, end) as the result for piece.
  void store(std::string_view piece, uint64_t hash, const int32_t *begin, const int32_t *end);

  static uint64_t hash_of(std::string_view piece);
  static bool cacheable(std::string_view piece) { return piece.size() <= kMaxPieceBytes; }

 private:
  struct Slot {
    uint64_t hash = 0;
    std::string piece;
    std::vector<int32_t> tokens;
    bool used = false;
  };
  mutable std::array<std::mutex, kStripes> locks_;
  std::vector<Slot> slots_ = std::vector<Slot>(kSlots);
};

}  // namespace dsv4
