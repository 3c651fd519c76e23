// Generation on a session: prefill a prompt (reusing what the session already holds), then
// sample, stream and evaluate one token at a time until a stop condition.
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "runtime/sampler.h"

namespace dsv4 {

class Session;

// Numbered as the C ABI's DSV4_STOP_*.
enum class StopReason : int32_t {
  kMaxTokens = 0,      // max_tokens tokens were generated
  kEndOfSequence = 1,  // the model produced an end-of-sequence token
  kStopString = 2,     // the text reached one of the stop strings
  kCallback = 3,       // the sink asked to stop
  kCancelled = 4,      // Session::cancel() from another thread
  kContextFull = 5,    // the session's context has no room for another token
};

struct GenerateOptions {
  int64_t max_tokens = 128;        // -1: no limit; 0: prefill only
  SamplerParams sampling;
  std::vector<std::string> stop;   // stop strings, matched on the generated text
  bool ignore_eos = false;         // keep going past end-of-sequence tokens
};

struct GenerateResult {
  StopReason stop_reason = StopReason::kMaxTokens;
  int64_t n_prompt = 0;       // prompt tokens
  int64_t n_reused = 0;       // of them, already in the session (not evaluated again)
  int64_t n_generated = 0;    // tokens passed to the sink (an end-of-sequence token is not)
  double prefill_seconds = 0; // evaluating the prompt's new part
  double decode_seconds = 0;  // from the end of the prefill to the end of generation
};

// Called once per generated token with the text it releases (often empty: text is held back
// while it may be an unfinished UTF-8 character or the start of a stop string) and its id;
// once more with token -1 when text is still held at the end (that call's result is ignored).
// Returning false stops generation (StopReason::kCallback).
using TokenSink = std::function<bool(std::string_view text, int32_t token)>;

// Runs generation. The session keeps what it evaluated: the prompt and every generated token
// except the last one (never needed for a next step), so a follow-up prompt that extends this
// conversation only evaluates its new part. Errors before any work (empty prompt, a prompt
// longer than the context, bad sampling parameters, a stop string without a tokenizer) leave
// the session unchanged. Cancellation is a result (kCancelled), not an exception.
GenerateResult generate(Session &session, std::span<const int32_t> prompt, const GenerateOptions &options,
                        const TokenSink &sink);

}  // namespace dsv4
