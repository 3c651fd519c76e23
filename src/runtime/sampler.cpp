#include "runtime/sampler.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>

#include "common/error.h"

namespace dsv4 {

namespace {

void check_param(bool ok, const std::string &message) {
  if (!ok) fail(DSV4_ERR_INVALID_ARGUMENT, "sampling: " + message);
}

}  // namespace

Sampler::Sampler(const SamplerParams &p, int64_t n_vocab) : params_(p), n_vocab_(n_vocab), rng_(p.seed) {
  check_param(n_vocab > 0, "the vocabulary is empty");
  check_param(std::isfinite(p.temperature), "temperature must be a finite number");
  check_param(p.top_k >= 0, "top_k must be >= 0 (0 = off), got " + std::to_string(p.top_k));
  check_param(p.top_p > 0.0f && p.top_p <= 1.0f, "top_p must be in (0, 1] (1 = off), got " + std::to_string(p.top_p));
  check_param(p.min_p >= 0.0f && p.min_p <= 1.0f, "min_p must be in [0, 1] (0 = off), got " + std::to_string(p.min_p));
  check_param(std::isfinite(p.repeat_penalty) && p.repeat_penalty > 0.0f,
              "repeat_penalty must be > 0 (1 = off), got " + std::to_string(p.repeat_penalty));
  check_param(std::isfinite(p.presence_penalty), "presence_penalty must be a finite number");
  check_param(std::isfinite(p.frequency_penalty), "frequency_penalty must be a finite number");
  check_param(p.penalty_last_n >= -1, "penalty_last_n must be >= -1 (-1 = all), got " + std::to_string(p.penalty_last_n));
  for (const auto &[id, bias] : p.logit_bias) {
    if (id < 0 || id >= n_vocab)
      fail(DSV4_ERR_TOKEN_OUT_OF_RANGE, "sampling: logit bias for token " + std::to_string(id) +
                                            ", outside the vocabulary [0, " + std::to_string(n_vocab) + ")");
    // -inf bans a token; +inf or NaN would make every probability undefined.
    check_param(!std::isnan(bias) && bias != std::numeric_limits<float>::infinity(),
                "logit bias of token " + std::to_string(id) + " must be finite or -inf");
  }
}

int32_t Sampler::sample(std::span<const float> logits, std::span<const int32_t> history) {
  if (static_cast<int64_t>(logits.size()) != n_vocab_)
    fail(DSV4_ERR_INTERNAL, "sampling: " + std::to_string(logits.size()) + " logits for a vocabulary of " +
                                std::to_string(n_vocab_));
  adjust(logits, history);
  if (params_.temperature <= 0.0f) return greedy();
  truncate();
  return draw();
}

void Sampler::adjust(std::span<const float> logits, std::span<const int32_t> history) {
  adjusted_.assign(logits.begin(), logits.end());
  for (size_t i = 0; i < adjusted_.size(); ++i)
    if (std::isnan(adjusted_[i])) fail(DSV4_ERR_INTERNAL, "sampling: the logit of token " + std::to_string(i) + " is NaN");
  for (const auto &[id, bias] : params_.logit_bias) adjusted_[static_cast<size_t>(id)] += bias;

  const bool penalise = params_.repeat_penalty != 1.0f || params_.presence_penalty != 0.0f ||
                        params_.frequency_penalty != 0.0f;
  if (!penalise || params_.penalty_last_n == 0 || history.empty()) return;
  const size_t n = params_.penalty_last_n < 0 ? history.size()
                                               : std::min(history.size(), static_cast<size_t>(params_.penalty_last_n));
  std::vector<int32_t> &window = window_;
  window.assign(history.end() - static_cast<std::ptrdiff_t>(n), history.end());
  std::sort(window.begin(), window.end());
  for (size_t i = 0; i < window.size();) {
    size_t j = i;
    while (j < window.size() && window[j] == window[i]) ++j;
    const int32_t id = window[i];
    const float count = static_cast<float>(j - i);
    i = j;
    if (id < 0 || id >= n_vocab_) continue;  // not a token of this vocabulary: nothing to penalise
    float &l = adjusted_[static_cast<size_t>(id)];
    l = l > 0.0f ? l / params_.repeat_penalty : l * params_.repeat_penalty;
    l -= params_.presence_penalty + params_.frequency_penalty * count;
  }
}

int32_t Sampler::greedy() const {
  size_t best = 0;
  for (size_t i = 1; i < adjusted_.size(); ++i)
    if (adjusted_[i] > adjusted_[best]) best = i;  // strict: ties keep the lower id
  if (adjusted_[best] == -std::numeric_limits<float>::infinity())
    fail(DSV4_ERR_INVALID_ARGUMENT, "sampling: every token is banned by the logit bias");
  return static_cast<int32_t>(best);
}

void Sampler::truncate() {
  const float inv_t = 1.0f / params_.temperature;
  candidates_.clear();
  for (size_t i = 0; i < adjusted_.size(); ++i)
    if (adjusted_[i] != -std::numeric_limits<float>::infinity())
      candidates_.push_back({static_cast<int32_t>(i), adjusted_[i] * inv_t});
  if (candidates_.empty()) fail(DSV4_ERR_INVALID_ARGUMENT, "sampling: every token is banned by the logit bias");
  const auto more_likely = [](const Candidate &a, const Candidate &b) {
    return a.logit > b.logit || (a.logit == b.logit && a.id < b.id);
  };

  // top-k: an unordered selection is enough here; top-p below sorts what it needs.
  const size_t k = params_.top_k > 0 ? std::min(candidates_.size(), static_cast<size_t>(params_.top_k))
                                     : candidates_.size();
  if (k < candidates_.size()) {
    std::nth_element(candidates_.begin(), candidates_.begin() + static_cast<std::ptrdiff_t>(k - 1),
                     candidates_.end(), more_likely);
    candidates_.resize(k);
  }

  // Weights relative to the most likely token (its weight is exactly 1).
  float max_logit = candidates_[0].logit;
  for (const Candidate &c : candidates_) max_logit = std::max(max_logit, c.logit);
  double total = 0.0;
  for (const Candidate &c : candidates_) total += std::exp(static_cast<double>(c.logit) - max_logit);

  if (params_.top_p < 1.0f) {
    // Sort only as much of the front as the mass needs (a large vocabulary rarely needs all):
    // select the next block of most likely tokens, sort it, and extend while short of top_p.
    const size_t n = candidates_.size();
    const double target = params_.top_p * total;
    double mass = 0.0;
    size_t keep = 0, sorted = 0;
    while (mass < target && keep < n) {
      if (keep == sorted) {
        const size_t next = std::min(n, std::max<size_t>(64, sorted * 8));
        const auto first = candidates_.begin() + static_cast<std::ptrdiff_t>(sorted);
        const auto last = candidates_.begin() + static_cast<std::ptrdiff_t>(next);
        std::nth_element(first, last - 1, candidates_.end(), more_likely);
        std::sort(first, last, more_likely);
        sorted = next;
      }
      mass += std::exp(static_cast<double>(candidates_[keep++].logit) - max_logit);
    }
    candidates_.resize(keep);
  }

  // min-p: p >= min_p * p_max is weight >= min_p, since the top token's weight is 1.
  weights_.clear();
  size_t kept = 0;
  for (const Candidate &c : candidates_) {
    const double w = std::exp(static_cast<double>(c.logit) - max_logit);
    if (w < params_.min_p) continue;
    candidates_[kept++] = c;
    weights_.push_back(w);
  }
  candidates_.resize(kept);
}

int32_t Sampler::draw() {
  double total = 0.0;
  for (double w : weights_) total += w;
  const double u = uniform01() * total;
  double cum = 0.0;
  for (size_t i = 0; i < weights_.size(); ++i) {
    cum += weights_[i];
    if (u < cum) return candidates_[i].id;
  }
  return candidates_.back().id;  // u landed on the rounding error of the sum
}

double Sampler::uniform01() {
  // The top 53 bits as a double in [0, 1): exact and the same everywhere, unlike
  // std::uniform_real_distribution whose algorithm is implementation-defined.
  return static_cast<double>(rng_() >> 11) * 0x1.0p-53;
}

}  // namespace dsv4
