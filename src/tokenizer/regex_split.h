// Pre-tokenization: a list of regexes applied the way llama.cpp's unicode_regex_split and HF's
// Sequence of Split(behavior Isolated, invert false) apply them (spec/ggml-formats.md §5.1):
// regex k runs over every piece produced by regex k-1 on its own, every match becomes a piece,
// and so does every non-empty stretch between matches. Nothing is dropped, so the pieces
// always cover the input exactly.
//
// Engine: PCRE2 with UTF + UCP and JIT. Two deliberate settings:
//  * PCRE2_MATCH_INVALID_UTF: any byte string is a legal subject. Invalid sequences match no
//    character class, so they end up in gap pieces and reach BPE as raw bytes.
//  * `$` means end of piece only (ECMAScript, as llama.cpp's std::regex; PCRE2_DOLLAR_ENDONLY).
// `\s` is widened by U+0085 (NEXT LINE): HF (Oniguruma, Unicode White_Space) and llama.cpp's
// whitespace table count it as space, PCRE2's UCP `\s` (categories Z + \t\n\v\f\r) does not.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace dsv4 {

class RegexSplitter {
 public:
  // Compiles the patterns; a pattern PCRE2 rejects is DSV4_ERR_UNSUPPORTED naming it and the
  // offset. An empty list splits nothing (the whole text is one piece).
  explicit RegexSplitter(std::vector<std::string> patterns);
  ~RegexSplitter();
  RegexSplitter(const RegexSplitter &) = delete;
  RegexSplitter &operator=(const RegexSplitter &) = delete;

  // Calls fn(ctx, piece) for each piece of text, in order (pieces point into text, never
  // empty). Depth first, so memory does not grow with the text. Thread-safe. Throws
  // DSV4_ERR_UNSUPPORTED if PCRE2 gives up on a piece (resource limits), naming it.
  using PieceFn = void (*)(void *ctx, std::string_view piece);
  void for_each_piece(std::string_view text, PieceFn fn, void *ctx) const;

  // The same pieces collected into a vector (tests, tools).
  void split(std::string_view text, std::vector<std::string_view> &pieces) const;

  const std::vector<std::string> &patterns() const { return patterns_; }

 private:
  struct Compiled;
  void split_level(size_t level, std::string_view piece, PieceFn fn, void *ctx) const;
  std::vector<std::string> patterns_;
  std::vector<std::unique_ptr<Compiled>> compiled_;
};

// The pattern as handed to PCRE2 (the `\s` widening described above). Exposed for tests.
std::string pcre2_pattern_of(std::string_view pattern);

}  // namespace dsv4
