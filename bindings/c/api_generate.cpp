// C ABI: generation (sampling parameters, streaming, stop conditions) and expert statistics.
#include <cmath>
#include <cstdint>
#include <cstring>
#include <string>

#include "api_internal.h"
#include "runtime/generate.h"
#include "runtime/session.h"

using dsv4::capi::guard;
using dsv4::capi::require;

namespace {

dsv4::SamplerParams to_sampler_params(const dsv4_sampling_params &p) {
  require(p.reserved0 == 0, "dsv4_sampling_params.reserved0 must be 0");
  require(p.n_logit_bias == 0 || (p.logit_bias_tokens && p.logit_bias_values),
          "dsv4_sampling_params: n_logit_bias is not 0 but logit_bias_tokens or logit_bias_values is NULL");
  dsv4::SamplerParams s;
  s.temperature = p.temperature;
  s.top_k = p.top_k;
  s.top_p = p.top_p;
  s.min_p = p.min_p;
  s.repeat_penalty = p.repeat_penalty;
  s.presence_penalty = p.presence_penalty;
  s.frequency_penalty = p.frequency_penalty;
  s.penalty_last_n = p.penalty_last_n;
  s.seed = p.seed;
  for (uint64_t i = 0; i < p.n_logit_bias; ++i) s.logit_bias.emplace_back(p.logit_bias_tokens[i], p.logit_bias_values[i]);
  return s;
}

dsv4::GenerateOptions to_generate_options(const dsv4_generate_params *given) {
  const dsv4_generate_params p =
      dsv4::capi::read_params(given, dsv4_generate_params_default(), "dsv4_generate_params");
  require(p.ignore_eos <= 1, "dsv4_generate_params.ignore_eos must be 0 or 1");
  require(p.n_stop == 0 || p.stop_strings, "dsv4_generate_params: n_stop is not 0 but stop_strings is NULL");
  dsv4::GenerateOptions o;
  o.max_tokens = p.max_tokens;
  o.ignore_eos = p.ignore_eos != 0;
  o.sampling = to_sampler_params(
      dsv4::capi::read_params(p.sampling, dsv4_sampling_params_default(), "dsv4_sampling_params"));
  for (uint64_t i = 0; i < p.n_stop; ++i) {
    require(p.stop_strings[i] != nullptr, "dsv4_generate_params: a stop string is NULL");
    o.stop.emplace_back(p.stop_strings[i]);
  }
  return o;
}

// Copies as much of the result as the caller's struct_size holds.
void write_result(const dsv4::GenerateResult &r, dsv4_generate_result *out) {
  dsv4_generate_result full{};
  full.struct_size = out->struct_size;
  full.stop_reason = static_cast<int32_t>(r.stop_reason);
  full.n_prompt = r.n_prompt;
  full.n_reused = r.n_reused;
  full.n_generated = r.n_generated;
  full.prefill_seconds = r.prefill_seconds;
  full.decode_seconds = r.decode_seconds;
  std::memcpy(out, &full, out->struct_size);
}

}  // namespace

extern "C" {

dsv4_sampling_params dsv4_sampling_params_default(void) {
  const dsv4::SamplerParams d;
  dsv4_sampling_params p{};
  p.struct_size = sizeof(dsv4_sampling_params);
  p.temperature = d.temperature;
  p.top_k = d.top_k;
  p.top_p = d.top_p;
  p.min_p = d.min_p;
  p.repeat_penalty = d.repeat_penalty;
  p.presence_penalty = d.presence_penalty;
  p.frequency_penalty = d.frequency_penalty;
  p.penalty_last_n = d.penalty_last_n;
  p.seed = d.seed;
  return p;
}

dsv4_generate_params dsv4_generate_params_default(void) {
  const dsv4::GenerateOptions d;
  dsv4_generate_params p{};
  p.struct_size = sizeof(dsv4_generate_params);
  p.ignore_eos = d.ignore_eos ? 1 : 0;
  p.max_tokens = d.max_tokens;
  return p;
}

dsv4_status dsv4_generate(dsv4_session *session, const int32_t *prompt, size_t n_prompt,
                          const dsv4_generate_params *params, dsv4_generate_result *result, dsv4_token_fn callback,
                          void *user) {
  dsv4::GenerateResult r;
  const dsv4_status status = guard([&] {
    require(session != nullptr, "session is NULL");
    require(prompt != nullptr || n_prompt == 0, "prompt is NULL");
    // Larger counts turn negative as int64_t and got past the checks (emptying the session).
    require(n_prompt <= static_cast<size_t>(INT64_MAX), "n_prompt is larger than INT64_MAX");
    require(!result || (result->struct_size >= sizeof(uint32_t) && result->struct_size <= sizeof(dsv4_generate_result)),
            "dsv4_generate_result.struct_size must be set to sizeof(dsv4_generate_result)");
    const dsv4::GenerateOptions o = to_generate_options(params);
    const dsv4::TokenSink sink = [&](std::string_view text, int32_t token) {
      if (!callback) return true;
      const std::string terminated(text);  // the callback is promised a NUL after the text
      return callback(terminated.c_str(), terminated.size(), token, user) == 0;
    };
    r = dsv4::generate(*session->impl, std::span<const int32_t>(prompt, n_prompt), o, sink);
    if (r.stop_reason == dsv4::StopReason::kCallback)
      dsv4::fail(DSV4_CANCELLED, "generation stopped by the callback");
    if (r.stop_reason == dsv4::StopReason::kCancelled)
      dsv4::fail(DSV4_CANCELLED, "generation cancelled by dsv4_session_cancel");
  });
  if (result && (status == DSV4_OK || status == DSV4_CANCELLED)) write_result(r, result);
  return status;
}

dsv4_status dsv4_session_expert_counts(const dsv4_session *session, uint64_t *counts, size_t cap,
                                       size_t *n_required, int64_t *n_layer, int64_t *n_expert) {
  return guard([&] {
    require(session != nullptr, "session is NULL");
    require(n_required != nullptr, "n_required is NULL");
    const dsv4::ExpertStats *stats = session->impl->expert_stats();
    if (n_layer) *n_layer = stats ? stats->n_layer() : 0;
    if (n_expert) *n_expert = stats ? stats->n_expert() : 0;
    const size_t n = stats ? stats->counts().size() : 0;
    *n_required = n;
    if (n > cap || (n > 0 && !counts))
      dsv4::fail(DSV4_ERR_BUFFER_TOO_SMALL, "counts holds " + std::to_string(counts ? cap : 0) + " values, " +
                                                std::to_string(n) + " needed");
    if (n > 0) std::memcpy(counts, stats->counts().data(), n * sizeof(uint64_t));
  });
}

dsv4_status dsv4_session_expert_counts_reset(dsv4_session *session) {
  return guard([&] {
    require(session != nullptr, "session is NULL");
    if (dsv4::ExpertStats *stats = session->impl->expert_stats()) stats->reset();
  });
}

}  // extern "C"
