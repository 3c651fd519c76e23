// Finds stop strings in text that arrives in pieces. A stop string may straddle any number of
// pieces, so text that could still be the start of one is held back until the next piece
// decides it; everything else is released at once.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace dsv4 {

class StopMatcher {
 public:
  // Empty stop strings are DSV4_ERR_INVALID_ARGUMENT (they would match before any text).
  explicit StopMatcher(std::vector<std::string> stops);

  // Appends a piece and returns the text that is now known not to be part of a stop string
  // (possibly empty). When a stop string completes, returns the text before its first
  // occurrence, and stopped() becomes true; later calls return nothing.
  std::string push(std::string_view piece);
  // The held-back text, at the end of a stream that did not stop; the matcher is then empty.
  std::string flush();

  bool stopped() const { return stopped_; }
  size_t held_bytes() const { return held_.size(); }

 private:
  std::vector<std::string> stops_;
  std::string held_;
  bool stopped_ = false;
};

}  // namespace dsv4
