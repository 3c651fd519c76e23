// StreamDecoder: incremental detokenization that never ends inside a UTF-8 sequence.
#include "tokenizer/tokenizer.h"
#include "tokenizer/utf8.h"

namespace dsv4 {

std::string StreamDecoder::push(int32_t id) {
  std::string_view piece = tokenizer_->token_to_piece(id);  // throws before anything changes
  if (skip_special_ && (tokenizer_->token_type(id) == TokenType::Control ||
                        tokenizer_->token_type(id) == TokenType::Unknown))
    return {};
  pending_ += piece;
  size_t keep = utf8::incomplete_tail(pending_);
  std::string out = pending_.substr(0, pending_.size() - keep);
  pending_.erase(0, pending_.size() - keep);
  return out;
}

std::string StreamDecoder::flush() {
  std::string out;
  out.swap(pending_);
  return out;
}

}  // namespace dsv4
