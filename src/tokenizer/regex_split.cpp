#include "tokenizer/regex_split.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "common/error.h"

namespace dsv4 {
namespace {

std::string pcre2_message(int code) {
  PCRE2_UCHAR buf[256];
  int n = pcre2_get_error_message(code, buf, sizeof(buf));
  return n < 0 ? "PCRE2 error " + std::to_string(code) : std::string(reinterpret_cast<char *>(buf));
}

// Per-thread match state. Match data with one ovector pair fits every pattern (only the whole
// match is read), so one block serves all regexes of all tokenizers on this thread.
struct ThreadMatchState {
  pcre2_match_data *match_data = nullptr;
  pcre2_match_context *context = nullptr;
  pcre2_jit_stack *jit_stack = nullptr;

  ThreadMatchState() {
    match_data = pcre2_match_data_create(1, nullptr);
    context = pcre2_match_context_create(nullptr);
    // PCRE2's default JIT stack is 32 KiB on the machine stack; long runs of one class with
    // a lookahead after them can need more, so give the JIT a growable heap stack.
    jit_stack = pcre2_jit_stack_create(32 * 1024, 8 * 1024 * 1024, nullptr);
    if (context) {
      if (jit_stack) pcre2_jit_stack_assign(context, nullptr, jit_stack);
      pcre2_set_heap_limit(context, 256 * 1024);  // KiB, for the interpreter fallback
    }
  }
  ~ThreadMatchState() {
    pcre2_jit_stack_free(jit_stack);
    pcre2_match_context_free(context);
    pcre2_match_data_free(match_data);
  }
  ThreadMatchState(const ThreadMatchState &) = delete;
  ThreadMatchState &operator=(const ThreadMatchState &) = delete;
};

ThreadMatchState &thread_state() {
  thread_local ThreadMatchState state;
  if (!state.match_data || !state.context) throw std::bad_alloc();
  return state;
}

size_t next_char_boundary(std::string_view s, size_t pos) {
  ++pos;
  while (pos < s.size() && (static_cast<uint8_t>(s[pos]) & 0xC0) == 0x80) ++pos;
  return pos;
}

}  // namespace

std::string pcre2_pattern_of(std::string_view p) {
  std::string out;
  out.reserve(p.size() + 16);
  bool in_class = false;
  size_t i = 0;
  while (i < p.size()) {
    char c = p[i];
    if (c == '\\' && i + 1 < p.size()) {
      char e = p[i + 1];
      if (e == 'Q') {  // \Q…\E quotes literally: copy through the closing \E untouched
        size_t end = p.find("\\E", i + 2);
        end = end == std::string_view::npos ? p.size() : end + 2;
        out.append(p.substr(i, end - i));
        i = end;
        continue;
      }
      if (e == 's')
        out += in_class ? "\\s\\x{85}" : "[\\s\\x{85}]";
      else if (e == 'S' && !in_class)
        out += "[^\\s\\x{85}]";
      else
        out.append(p.substr(i, 2));
      i += 2;
      continue;
    }
    if (!in_class && c == '[') {
      in_class = true;
      out.push_back(c);
      ++i;
      if (i < p.size() && p[i] == '^') out.push_back(p[i++]);
      if (i < p.size() && p[i] == ']') out.push_back(p[i++]);  // a leading ']' is literal
      continue;
    }
    if (in_class && c == '[' && i + 1 < p.size() && p[i + 1] == ':') {  // POSIX [:name:]
      size_t end = p.find(":]", i + 2);
      end = end == std::string_view::npos ? p.size() : end + 2;
      out.append(p.substr(i, end - i));
      i = end;
      continue;
    }
    if (in_class && c == ']') in_class = false;
    out.push_back(c);
    ++i;
  }
  return out;
}

struct RegexSplitter::Compiled {
  pcre2_code *code = nullptr;
  bool jit = false;
  ~Compiled() { pcre2_code_free(code); }
};

RegexSplitter::RegexSplitter(std::vector<std::string> patterns) : patterns_(std::move(patterns)) {
  for (size_t k = 0; k < patterns_.size(); ++k) {
    std::string translated = pcre2_pattern_of(patterns_[k]);
    int err = 0;
    PCRE2_SIZE err_offset = 0;
    auto c = std::make_unique<Compiled>();
    c->code = pcre2_compile(reinterpret_cast<PCRE2_SPTR>(translated.data()), translated.size(),
                            PCRE2_UTF | PCRE2_UCP | PCRE2_MATCH_INVALID_UTF | PCRE2_DOLLAR_ENDONLY,
                            &err, &err_offset, nullptr);
    if (!c->code)
      fail(DSV4_ERR_UNSUPPORTED, "pre-tokenizer regex " + std::to_string(k) + " '" + patterns_[k] +
                                     "' does not compile (PCRE2, at offset " + std::to_string(err_offset) +
                                     "): " + pcre2_message(err));
    // JIT is an optimisation: without it (e.g. a platform PCRE2 built without JIT support) the
    // interpreter gives the same matches.
    c->jit = pcre2_jit_compile(c->code, PCRE2_JIT_COMPLETE) == 0;
    compiled_.push_back(std::move(c));
  }
}

RegexSplitter::~RegexSplitter() = default;

void RegexSplitter::for_each_piece(std::string_view text, PieceFn fn, void *ctx) const {
  if (text.empty()) return;
  if (compiled_.empty()) {
    fn(ctx, text);
    return;
  }
  split_level(0, text, fn, ctx);
}

void RegexSplitter::split(std::string_view text, std::vector<std::string_view> &pieces) const {
  pieces.clear();
  for_each_piece(
      text, [](void *ctx, std::string_view p) { static_cast<std::vector<std::string_view> *>(ctx)->push_back(p); },
      &pieces);
}

// Runs regex `level` over piece; each match and each gap goes on to the next regex, or to fn
// after the last one. The match data is shared down the recursion, so match bounds are copied
// out before descending.
void RegexSplitter::split_level(size_t level, std::string_view piece, PieceFn fn, void *ctx) const {
  const bool last_level = level + 1 == compiled_.size();
  auto emit = [&](std::string_view sub) {
    if (last_level)
      fn(ctx, sub);
    else
      split_level(level + 1, sub, fn, ctx);
  };
  const Compiled &re = *compiled_[level];
  ThreadMatchState &ts = thread_state();
  const auto *subject = reinterpret_cast<PCRE2_SPTR>(piece.data());
  size_t start = 0, last = 0;
  while (start < piece.size()) {
    int rc = re.jit ? pcre2_jit_match(re.code, subject, piece.size(), start, 0, ts.match_data, ts.context)
                    : pcre2_match(re.code, subject, piece.size(), start, 0, ts.match_data, ts.context);
    if (rc < 0 && rc != PCRE2_ERROR_NOMATCH && re.jit)  // e.g. JIT stack exhausted: retry slowly
      rc = pcre2_match(re.code, subject, piece.size(), start, PCRE2_NO_JIT, ts.match_data, ts.context);
    if (rc == PCRE2_ERROR_NOMATCH) break;
    if (rc < 0)
      fail(DSV4_ERR_UNSUPPORTED, "pre-tokenizer regex " + std::to_string(level) + " gave up on a piece of " +
                                     std::to_string(piece.size()) + " bytes: " + pcre2_message(rc));
    const PCRE2_SIZE *ov = pcre2_get_ovector_pointer(ts.match_data);
    size_t s = ov[0], e = ov[1];
    if (e <= s) {  // an empty match is no piece; look again from the next character
      start = next_char_boundary(piece, start > s ? start : s);
      continue;
    }
    if (s > last) emit(piece.substr(last, s - last));
    emit(piece.substr(s, e - s));
    last = start = e;
  }
  if (last < piece.size()) emit(piece.substr(last));
}

}  // namespace dsv4
