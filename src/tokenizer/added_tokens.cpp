#include "tokenizer/added_tokens.h"

#include <algorithm>

namespace dsv4 {

AddedTokenMatcher::AddedTokenMatcher() : nodes_(1) {}

int32_t AddedTokenMatcher::child(int32_t node, uint8_t byte) const {
  const auto &edges = nodes_[node].edges;
  auto it = std::lower_bound(edges.begin(), edges.end(), byte,
                             [](const std::pair<uint8_t, int32_t> &e, uint8_t b) { return e.first < b; });
  return it != edges.end() && it->first == byte ? it->second : -1;
}

void AddedTokenMatcher::add(std::string_view text, int32_t id) {
  if (text.empty()) return;
  int32_t node = 0;
  for (char ch : text) {
    uint8_t b = static_cast<uint8_t>(ch);
    int32_t next = child(node, b);
    if (next < 0) {
      next = static_cast<int32_t>(nodes_.size());
      nodes_.emplace_back();  // may reallocate: take the edge list only afterwards
      auto &edges = nodes_[node].edges;
      auto it = std::lower_bound(edges.begin(), edges.end(), b,
                                 [](const std::pair<uint8_t, int32_t> &e, uint8_t x) { return e.first < x; });
      edges.insert(it, {b, next});
    }
    node = next;
  }
  if (nodes_[node].token < 0) {
    nodes_[node].token = id;
    can_start_[static_cast<uint8_t>(text[0])] = true;
    ++n_tokens_;
  }
}

void AddedTokenMatcher::split(std::string_view text, std::vector<Fragment> &out) const {
  out.clear();
  size_t plain_start = 0, pos = 0;
  while (pos < text.size()) {
    if (!can_start_[static_cast<uint8_t>(text[pos])]) {
      ++pos;
      continue;
    }
    // Longest token starting at pos.
    int32_t node = 0, best_token = -1;
    size_t best_len = 0;
    for (size_t k = pos; k < text.size(); ++k) {
      node = child(node, static_cast<uint8_t>(text[k]));
      if (node < 0) break;
      if (nodes_[node].token >= 0) {
        best_token = nodes_[node].token;
        best_len = k + 1 - pos;
      }
    }
    if (best_token < 0) {
      ++pos;
      continue;
    }
    if (pos > plain_start) out.push_back({text.substr(plain_start, pos - plain_start), -1});
    out.push_back({text.substr(pos, best_len), best_token});
    pos += best_len;
    plain_start = pos;
  }
  if (plain_start < text.size()) out.push_back({text.substr(plain_start), -1});
}

}  // namespace dsv4
