#include "runtime/stop_matcher.h"

#include <algorithm>

#include "common/error.h"

namespace dsv4 {

StopMatcher::StopMatcher(std::vector<std::string> stops) : stops_(std::move(stops)) {
  for (size_t i = 0; i < stops_.size(); ++i)
    if (stops_[i].empty()) fail(DSV4_ERR_INVALID_ARGUMENT, "stop string " + std::to_string(i) + " is empty");
}

std::string StopMatcher::push(std::string_view piece) {
  if (stopped_) return {};
  held_.append(piece);

  // The earliest complete stop string wins: text after it is never released.
  size_t first = std::string::npos;
  for (const std::string &s : stops_) first = std::min(first, held_.find(s));
  if (first != std::string::npos) {
    stopped_ = true;
    std::string out = held_.substr(0, first);
    held_.clear();
    return out;
  }

  // Hold back the longest tail of the text that is a proper prefix of some stop string.
  size_t hold = 0;
  for (const std::string &s : stops_) {
    const size_t longest = std::min(held_.size(), s.size() - 1);
    for (size_t n = longest; n > hold; --n)
      if (held_.compare(held_.size() - n, n, s, 0, n) == 0) {
        hold = n;
        break;
      }
  }
  std::string out = held_.substr(0, held_.size() - hold);
  held_.erase(0, held_.size() - hold);
  return out;
}

std::string StopMatcher::flush() {
  std::string out;
  out.swap(held_);
  return out;
}

}  // namespace dsv4
