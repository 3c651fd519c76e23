#include "runtime/generate.h"

#include <algorithm>
#include <chrono>
#include <limits>
#include <optional>

#include "common/error.h"
#include "runtime/model.h"
#include "runtime/session.h"
#include "runtime/stop_matcher.h"
#include "tokenizer/tokenizer.h"

namespace dsv4 {

namespace {

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

// Tokens that end generation: EOS, and <|EOT|> where the vocabulary has it (the end-of-turn
// token of the deepseek-coder instruct models, also present in V3's vocabulary).
std::vector<int32_t> end_tokens(const Tokenizer *tok) {
  std::vector<int32_t> ends;
  if (!tok) return ends;
  if (tok->eos_id() >= 0) ends.push_back(tok->eos_id());
  if (std::optional<int32_t> eot = tok->find_token("<|EOT|>"); eot && *eot != tok->eos_id()) ends.push_back(*eot);
  return ends;
}

// Turns generated token ids into released text: UTF-8 completion, then stop strings.
class TextStream {
 public:
  TextStream(const Tokenizer *tok, const std::vector<std::string> &stops) : stops_(stops) {
    if (tok) decoder_.emplace(*tok);
  }
  std::string push(int32_t token) { return decoder_ ? stops_.push(decoder_->push(token)) : std::string(); }
  // Everything still held: an unfinished character, then a possible stop-string start. The
  // bytes of the former may still complete a stop string.
  std::string flush() {
    std::string out = decoder_ ? stops_.push(decoder_->flush()) : std::string();
    return stops_.stopped() ? out : out + stops_.flush();
  }
  bool stopped() const { return stops_.stopped(); }

 private:
  std::optional<StreamDecoder> decoder_;
  StopMatcher stops_;
};

}  // namespace

GenerateResult generate(Session &session, std::span<const int32_t> prompt, const GenerateOptions &o,
                        const TokenSink &sink) {
  const Tokenizer *tok = session.model().tokenizer();
  const int64_t n = static_cast<int64_t>(prompt.size());
  if (n == 0) fail(DSV4_ERR_INVALID_ARGUMENT, "the prompt is empty: generation needs at least one token");
  if (n > session.n_ctx())
    fail(DSV4_ERR_CONTEXT_FULL, "the prompt has " + std::to_string(n) + " tokens, more than n_ctx " +
                                    std::to_string(session.n_ctx()));
  if (o.max_tokens < -1) fail(DSV4_ERR_INVALID_ARGUMENT, "max_tokens must be >= -1 (-1 = no limit)");
  if (!o.stop.empty() && !tok)
    fail(DSV4_ERR_INVALID_ARGUMENT, "stop strings need text, but the model's file has no tokenizer");
  for (int64_t i = 0; i < n; ++i)
    if (prompt[static_cast<size_t>(i)] < 0 || prompt[static_cast<size_t>(i)] >= session.n_vocab())
      fail(DSV4_ERR_TOKEN_OUT_OF_RANGE, "prompt token " + std::to_string(prompt[static_cast<size_t>(i)]) +
                                            " at index " + std::to_string(i) + " is outside the vocabulary [0, " +
                                            std::to_string(session.n_vocab()) + ")");

  SamplerParams sp = o.sampling;
  // Output rows past the tokenizer's vocabulary (padding) have no text: never pick them.
  if (tok)
    for (int64_t id = tok->n_vocab(); id < session.n_vocab(); ++id)
      sp.logit_bias.emplace_back(static_cast<int32_t>(id), -std::numeric_limits<float>::infinity());
  Sampler sampler(sp, session.n_vocab());
  TextStream text(tok, o.stop);
  const std::vector<int32_t> ends = o.ignore_eos ? std::vector<int32_t>() : end_tokens(tok);

  GenerateResult r;
  r.n_prompt = n;
  // Reuse the longest common prefix, but evaluate at least the last prompt token: its logits
  // choose the first generated token.
  const std::vector<int32_t> &held = session.tokens();
  int64_t keep = 0;
  while (keep < n - 1 && keep < static_cast<int64_t>(held.size()) &&
         held[static_cast<size_t>(keep)] == prompt[static_cast<size_t>(keep)])
    ++keep;
  session.clear_cancel();
  session.truncate(keep);
  r.n_reused = keep;

  // Both evaluation steps honour a cancel() that arrives between them (clear_cancel = false).
  const auto t_prefill = std::chrono::steady_clock::now();
  try {
    session.eval(prompt.data() + keep, n - keep, nullptr, nullptr, false);  // chunked by the session's n_batch
  } catch (const Error &e) {
    if (e.status() != DSV4_CANCELLED) throw;
    r.stop_reason = StopReason::kCancelled;
    r.prefill_seconds = seconds_since(t_prefill);
    return r;
  }
  r.prefill_seconds = seconds_since(t_prefill);

  const auto t_decode = std::chrono::steady_clock::now();
  const auto finish = [&](StopReason why) {
    r.stop_reason = why;
    r.decode_seconds = seconds_since(t_decode);
    return r;
  };
  const auto release_held = [&] {
    std::string rest = text.flush();
    if (!rest.empty()) sink(rest, -1);
  };
  const int64_t V = session.n_vocab();
  for (;;) {
    if (o.max_tokens >= 0 && r.n_generated >= o.max_tokens) return finish(StopReason::kMaxTokens);
    if (session.cancel_requested()) return finish(StopReason::kCancelled);

    const std::vector<float> &logits = session.logits();
    const int32_t token =
        sampler.sample(std::span<const float>(logits.data() + logits.size() - static_cast<size_t>(V),
                                              static_cast<size_t>(V)),
                       session.tokens());
    if (std::find(ends.begin(), ends.end(), token) != ends.end()) {
      release_held();
      return finish(StopReason::kEndOfSequence);
    }

    ++r.n_generated;
    std::string piece = text.push(token);
    const bool last = o.max_tokens >= 0 && r.n_generated >= o.max_tokens;
    if (last && !text.stopped()) piece += text.flush();
    if (!sink(piece, token)) return finish(StopReason::kCallback);
    if (text.stopped()) return finish(StopReason::kStopString);
    if (last) return finish(StopReason::kMaxTokens);
    if (session.length() >= session.n_ctx()) {
      release_held();
      return finish(StopReason::kContextFull);
    }
    try {
      session.eval(&token, 1, nullptr, nullptr, false);
    } catch (const Error &e) {
      if (e.status() != DSV4_CANCELLED) throw;
      return finish(StopReason::kCancelled);
    }
  }
}

}  // namespace dsv4
