#include "tokenizer/word_cache.h"

namespace dsv4 {

uint64_t WordCache::hash_of(std::string_view piece) {
  uint64_t h = 0xcbf29ce484222325ULL;  // FNV-1a: pieces are short, so a byte loop is cheap
  for (char c : piece) {
    h ^= static_cast<uint8_t>(c);
    h *= 0x100000001b3ULL;
  }
  return h ^ (h >> 29);
}

bool WordCache::lookup(std::string_view piece, uint64_t hash, std::vector<int32_t> &out) const {
  size_t slot = hash & (kSlots - 1);
  std::lock_guard<std::mutex> lock(locks_[slot % kStripes]);
  const Slot &s = slots_[slot];
  if (!s.used || s.hash != hash || s.piece != piece) return false;
  out.insert(out.end(), s.tokens.begin(), s.tokens.end());
  return true;
}

void WordCache::store(std::string_view piece, uint64_t hash, const int32_t *begin, const int32_t *end) {
  size_t slot = hash & (kSlots - 1);
  std::lock_guard<std::mutex> lock(locks_[slot % kStripes]);
  Slot &s = slots_[slot];
  s.hash = hash;
  s.piece.assign(piece);
  s.tokens.assign(begin, end);
  s.used = true;
}

}  // namespace dsv4
