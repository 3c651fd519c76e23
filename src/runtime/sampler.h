// Token sampling: one row of logits -> one token id.
//
// The steps, in order (the order changes the result, so it is part of the contract):
//   1. logit bias       l[t] += bias[t]            (-inf bans a token)
//   2. penalties over the last penalty_last_n tokens of the history, per distinct token t
//      seen c times:    repetition (CTRL): l > 0 ? l / r : l * r
//                       presence:   l -= presence
//                       frequency:  l -= frequency * c
//   3. temperature <= 0: greedy — the largest logit wins (ties: the lowest id); stop here.
//   4. temperature:     p = softmax(l / T)
//   5. top-k:           keep the k most likely tokens, renormalise
//   6. top-p:           keep the shortest most-likely-first prefix whose mass >= top_p, renormalise
//   7. min-p:           keep tokens with p >= min_p * p_max, renormalise
//   8. draw one token from what is left.
// Orders of equal logits are broken by the lower id, so the result depends only on the inputs
// and the seed. The random stream is std::mt19937_64 (its output is fixed by the C++ standard)
// turned into a double by hand, so a seed gives the same tokens on every platform.
#pragma once

#include <cstdint>
#include <random>
#include <span>
#include <utility>
#include <vector>

namespace dsv4 {

struct SamplerParams {
  float temperature = 0.8f;        // <= 0: greedy
  int32_t top_k = 40;              // 0: off
  float top_p = 0.95f;             // 1: off; in (0, 1]
  float min_p = 0.05f;             // 0: off; in [0, 1]
  float repeat_penalty = 1.0f;     // 1: off; > 0
  float presence_penalty = 0.0f;   // 0: off
  float frequency_penalty = 0.0f;  // 0: off
  int32_t penalty_last_n = 64;     // tokens of history the penalties look at; -1: all; 0: none
  uint64_t seed = 0;
  std::vector<std::pair<int32_t, float>> logit_bias;  // (token, added to its logit)
};

class Sampler {
 public:
  // Validates the parameters against a vocabulary of n_vocab tokens (DSV4_ERR_INVALID_ARGUMENT
  // naming the parameter, DSV4_ERR_TOKEN_OUT_OF_RANGE for a biased token outside it).
  Sampler(const SamplerParams &params, int64_t n_vocab);

  // Picks the next token. logits has n_vocab entries; history holds the tokens so far (most
  // recent last) for the penalties. A NaN logit is DSV4_ERR_INTERNAL; when every token is
  // banned it is DSV4_ERR_INVALID_ARGUMENT.
  int32_t sample(std::span<const float> logits, std::span<const int32_t> history);

  const SamplerParams &params() const { return params_; }

 private:
  struct Candidate {
    int32_t id;
    float logit;
  };
  void adjust(std::span<const float> logits, std::span<const int32_t> history);  // steps 1-2
  int32_t greedy() const;                                                       // step 3
  void truncate();                                                              // steps 4-7
  int32_t draw();                                                               // step 8
  double uniform01();

  SamplerParams params_;
  int64_t n_vocab_;
  std::mt19937_64 rng_;
  std::vector<float> adjusted_;        // logits after bias and penalties
  std::vector<Candidate> candidates_;  // survivors; logit already divided by the temperature
  std::vector<double> weights_;        // exp(logit - max logit) of each survivor, same order
  std::vector<int32_t> window_;        // the penalised history, sorted (reused across tokens)
};

}  // namespace dsv4
