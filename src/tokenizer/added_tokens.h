// Finds added (special and user-defined) tokens in raw text before pre-tokenization, the way HF
// `tokenizers` does: scanning left to right, the leftmost match wins, and of the matches
// starting there the longest. A byte trie makes the scan one table lookup per byte of text
// that cannot start a token.
//
// Simplification (documented in tokenizer.h): HF runs two passes, tokens with
// normalized = false first and normalized = true ones over the gaps; with DeepSeek's empty
// normalizer the passes give the same split unless two added tokens overlap in the text.
#pragma once

#include <array>
#include <cstdint>
#include <string_view>
#include <vector>

namespace dsv4 {

class AddedTokenMatcher {
 public:
  struct Fragment {
    std::string_view text;  // the matched token's text, or plain text to pre-tokenize
    int32_t token;          // the matched token, or -1 for plain text
  };

  AddedTokenMatcher();
  // Registers a token. An empty text is ignored; a text given twice keeps the first id.
  void add(std::string_view text, int32_t id);
  bool empty() const { return n_tokens_ == 0; }
  size_t size() const { return n_tokens_; }

  // Replaces out with the fragments of text, in order; plain fragments are never empty.
  void split(std::string_view text, std::vector<Fragment> &out) const;

 private:
  struct Node {
    int32_t token = -1;                              // token ending here, or -1
    std::vector<std::pair<uint8_t, int32_t>> edges;  // (byte, child), sorted by byte
  };
  int32_t child(int32_t node, uint8_t byte) const;

  std::vector<Node> nodes_;                // nodes_[0] is the root
  std::array<bool, 256> can_start_{};      // bytes that begin some token
  size_t n_tokens_ = 0;
};

}  // namespace dsv4
