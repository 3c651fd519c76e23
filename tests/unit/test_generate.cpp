// Generation through the C ABI on ../shared/testdata/models/ds3-tiny-f32.gguf (a small
// deepseek2 with the deepseek-coder vocabulary): determinism with a seed, streamed text, stop
// strings across piece boundaries, prefix reuse, cancellation from another thread and from
// the callback, stop reasons, expert counts and argument errors. Plus the stop-string matcher.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "common/testdata.h"
#include "dsv4/dsv4.h"
#include "runtime/stop_matcher.h"

namespace dsv4 {
namespace {

// ---- the stop-string matcher --------------------------------------------------------------

TEST(StopMatcher, FindsAStopStringAcrossPieces) {
  StopMatcher m({"abc"});
  EXPECT_EQ(m.push("xa"), "x");  // "a" may start "abc"
  EXPECT_EQ(m.push("b"), "");
  EXPECT_FALSE(m.stopped());
  EXPECT_EQ(m.push("cz"), "");
  EXPECT_TRUE(m.stopped());
  EXPECT_EQ(m.push("more"), "");
}

TEST(StopMatcher, ReleasesAFalseStart) {
  StopMatcher m({"abd"});
  EXPECT_EQ(m.push("xa"), "x");
  EXPECT_EQ(m.push("b"), "");
  EXPECT_EQ(m.push("c"), "abc");
  EXPECT_EQ(m.push("ab"), "");
  EXPECT_EQ(m.flush(), "ab");
  EXPECT_FALSE(m.stopped());
}

TEST(StopMatcher, TheEarliestOfSeveralStopsWinsAndTextBeforeItIsKept) {
  StopMatcher m({"world", "lo w"});
  EXPECT_EQ(m.push("hello world"), "hel");
  EXPECT_TRUE(m.stopped());
  StopMatcher inside({"\n\n"});
  EXPECT_EQ(inside.push("a\n"), "a");
  EXPECT_EQ(inside.push("\nb"), "");
  EXPECT_TRUE(inside.stopped());
}

TEST(StopMatcher, HoldsOnlyWhatCanStillMatch) {
  StopMatcher m({"<|end|>", "STOP"});
  EXPECT_EQ(m.push("text <|e"), "text ");
  EXPECT_EQ(m.held_bytes(), 3u);
  EXPECT_EQ(m.push("x"), "<|ex");
  EXPECT_EQ(m.push("ST"), "");
  EXPECT_EQ(m.push("OP!"), "");
  EXPECT_TRUE(m.stopped());
}

// ---- generation through the C ABI ---------------------------------------------------------

struct ModelFixture : ::testing::Test {
  static void SetUpTestSuite() {
    const std::string path = test::testdata_path("models/ds3-tiny-f32.gguf");
    ASSERT_EQ(dsv4_model_load(path.c_str(), nullptr, &model_), DSV4_OK) << dsv4_last_error();
    prompt_ = test::read_token_file(test::testdata_path("models/ds3-tiny-f32.tokens"));
    prompt_.resize(8);
  }
  static void TearDownTestSuite() {
    EXPECT_EQ(dsv4_model_free(model_), DSV4_OK) << dsv4_last_error();
    model_ = nullptr;
  }

  dsv4_session *new_session(int64_t n_ctx = 512) {
    dsv4_session_params p = dsv4_session_params_default();
    p.n_ctx = n_ctx;
    p.n_threads = 2;
    dsv4_session *s = nullptr;
    EXPECT_EQ(dsv4_session_init(model_, &p, &s), DSV4_OK) << dsv4_last_error();
    sessions_.push_back(s);
    return s;
  }
  void TearDown() override {
    for (dsv4_session *s : sessions_) EXPECT_EQ(dsv4_session_free(s), DSV4_OK);
  }

  static dsv4_model *model_;
  static std::vector<int32_t> prompt_;
  std::vector<dsv4_session *> sessions_;
};
dsv4_model *ModelFixture::model_ = nullptr;
std::vector<int32_t> ModelFixture::prompt_;

// What one generation delivered.
struct Generated {
  dsv4_status status = DSV4_OK;
  dsv4_generate_result result{};
  std::vector<int32_t> tokens;   // ids of the token calls
  std::vector<std::string> texts;  // text of every call, in order
  std::string text;
  int stop_after = -1;           // return non-zero from the callback on this token call
  int flush_calls = 0;           // calls with token -1
};

int32_t collect(const char *text, size_t len, int32_t token, void *user) {
  Generated &r = *static_cast<Generated *>(user);
  EXPECT_EQ(text[len], '\0');
  r.texts.emplace_back(text, len);
  r.text.append(text, len);
  if (token < 0) {
    ++r.flush_calls;
    return 0;
  }
  r.tokens.push_back(token);
  return static_cast<int>(r.tokens.size()) == r.stop_after ? 1 : 0;
}

dsv4_sampling_params sampling(float temperature, uint64_t seed) {
  dsv4_sampling_params s = dsv4_sampling_params_default();
  s.temperature = temperature;
  s.seed = seed;
  return s;
}

Generated generate(dsv4_session *session, const std::vector<int32_t> &prompt, int64_t max_tokens,
             const dsv4_sampling_params &s, std::vector<const char *> stops = {}, int stop_after = -1,
             uint32_t ignore_eos = 1) {
  dsv4_generate_params g = dsv4_generate_params_default();
  g.max_tokens = max_tokens;
  g.sampling = &s;
  g.ignore_eos = ignore_eos;
  g.stop_strings = stops.data();
  g.n_stop = stops.size();
  Generated r;
  r.stop_after = stop_after;
  r.result.struct_size = sizeof(r.result);
  r.status = dsv4_generate(session, prompt.data(), prompt.size(), &g, &r.result, collect, &r);
  return r;
}

std::string detokenize(dsv4_model *model, const std::vector<int32_t> &ids) {
  size_t need = 0;
  dsv4_detokenize(model, ids.data(), ids.size(), 0, nullptr, 0, &need);
  std::string buf(need, '\0');
  EXPECT_EQ(dsv4_detokenize(model, ids.data(), ids.size(), 0, buf.data(), buf.size(), &need), DSV4_OK);
  buf.resize(need - 1);
  return buf;
}

std::string piece(dsv4_model *model, int32_t id) { return detokenize(model, {id}); }

TEST_F(ModelFixture, TheSameSeedGivesTheSameTextAndTheStreamIsTheDetokenizedTokens) {
  const Generated a = generate(new_session(), prompt_, 32, sampling(0.9f, 7));
  const Generated b = generate(new_session(), prompt_, 32, sampling(0.9f, 7));
  const Generated c = generate(new_session(), prompt_, 32, sampling(0.9f, 8));
  ASSERT_EQ(a.status, DSV4_OK) << dsv4_last_error();
  EXPECT_EQ(a.result.stop_reason, DSV4_STOP_MAX_TOKENS);
  EXPECT_EQ(a.result.n_generated, 32);
  EXPECT_EQ(a.result.n_prompt, 8);
  EXPECT_EQ(a.result.n_reused, 0);
  EXPECT_EQ(a.tokens.size(), 32u);
  EXPECT_EQ(a.tokens, b.tokens);
  EXPECT_EQ(a.text, b.text);
  EXPECT_NE(a.tokens, c.tokens);
  // max_tokens ends the stream with everything released: the text is the tokens' text.
  EXPECT_EQ(a.text, detokenize(model_, a.tokens));
  EXPECT_EQ(a.flush_calls, 0);
}

TEST_F(ModelFixture, GreedyPicksTheArgmaxOfTheLogits) {
  dsv4_session *s = new_session();
  ASSERT_EQ(dsv4_session_eval(s, prompt_.data(), prompt_.size(), nullptr), DSV4_OK);
  std::vector<float> logits(32256);
  size_t n = 0;
  ASSERT_EQ(dsv4_session_logits(s, logits.data(), logits.size(), &n), DSV4_OK);
  const int32_t argmax = static_cast<int32_t>(std::max_element(logits.begin(), logits.end()) - logits.begin());
  const Generated r = generate(new_session(), prompt_, 1, sampling(0.0f, 0));
  ASSERT_EQ(r.tokens.size(), 1u);
  EXPECT_EQ(r.tokens[0], argmax);
}

TEST_F(ModelFixture, StopStringsMatchAcrossPieceBoundaries) {
  const Generated full = generate(new_session(), prompt_, 48, sampling(0.0f, 0));
  ASSERT_EQ(full.status, DSV4_OK);
  // Stops made of the end of one token's text and the start of the next (two pieces), and of
  // the end of one, all of the next and the start of the one after (three pieces).
  std::vector<std::string> stops;
  for (size_t i = 4; i + 2 < full.tokens.size() && stops.size() < 2; ++i) {
    const std::string p0 = piece(model_, full.tokens[i]), p1 = piece(model_, full.tokens[i + 1]),
                      p2 = piece(model_, full.tokens[i + 2]);
    auto ascii = [](const std::string &p) {
      return !p.empty() && std::all_of(p.begin(), p.end(), [](char ch) { return ch > 0 && ch < 0x7f; });
    };
    if (!ascii(p0) || !ascii(p1) || !ascii(p2)) continue;
    if (stops.empty()) stops.push_back(p0.substr(p0.size() - 1) + p1.substr(0, 1));
    else stops.push_back(p0.substr(p0.size() - 1) + p1 + p2.substr(0, 1));
  }
  ASSERT_EQ(stops.size(), 2u) << "no run of plain ASCII pieces in: " << full.text;
  for (const std::string &stop : stops) {
    const Generated r = generate(new_session(), prompt_, 48, sampling(0.0f, 0), {stop.c_str()});
    ASSERT_EQ(r.status, DSV4_OK) << dsv4_last_error();
    EXPECT_EQ(r.result.stop_reason, DSV4_STOP_STRING) << "stop '" << stop << "'";
    const size_t at = full.text.find(stop);
    ASSERT_NE(at, std::string::npos);
    EXPECT_EQ(r.text, full.text.substr(0, at)) << "stop '" << stop << "'";
    // Greedy: the same tokens up to the one that completed the stop string.
    EXPECT_TRUE(std::equal(r.tokens.begin(), r.tokens.end(), full.tokens.begin()));
  }
}

TEST_F(ModelFixture, APromptSharingAPrefixEvaluatesOnlyTheRest) {
  dsv4_session *s = new_session();
  const Generated first = generate(s, prompt_, 6, sampling(0.0f, 0));
  ASSERT_EQ(first.status, DSV4_OK);
  EXPECT_EQ(first.result.n_reused, 0);
  int64_t length = 0;
  ASSERT_EQ(dsv4_session_length(s, &length), DSV4_OK);
  EXPECT_EQ(length, 8 + 6 - 1);  // the last generated token is not evaluated

  // The conversation goes on: the old prompt, then different new tokens.
  std::vector<int32_t> longer = prompt_;
  const int32_t next = first.tokens[0] == 100 ? 101 : 100;
  longer.insert(longer.end(), {next, 200, 300, 400});
  const Generated second = generate(s, longer, 6, sampling(0.0f, 0));
  ASSERT_EQ(second.status, DSV4_OK);
  EXPECT_EQ(second.result.n_prompt, 12);
  EXPECT_EQ(second.result.n_reused, 8);
  // The reused cache gives what a fresh session computes.
  const Generated fresh = generate(new_session(), longer, 6, sampling(0.0f, 0));
  EXPECT_EQ(fresh.result.n_reused, 0);
  EXPECT_EQ(second.tokens, fresh.tokens);

  // The same prompt again: all but its last token are reused.
  const Generated again = generate(s, longer, 6, sampling(0.0f, 0));
  EXPECT_EQ(again.result.n_reused, 11);
  EXPECT_EQ(again.tokens, fresh.tokens);
  // A shorter, different prompt truncates to the common prefix.
  const std::vector<int32_t> other = {prompt_[0], prompt_[1], 5, 6};
  const Generated third = generate(s, other, 2, sampling(0.0f, 0));
  EXPECT_EQ(third.result.n_reused, 2);
  EXPECT_EQ(third.tokens, generate(new_session(), other, 2, sampling(0.0f, 0)).tokens);
}

// Cancels from a second thread while the callback of token `at` waits, so the cancel lands
// between two tokens: no further token may be produced.
struct CancelAt {
  dsv4_session *session;
  int at;
  int seen = 0;
  std::mutex mu;
  std::condition_variable cv;
  bool request = false, done = false;
};

int32_t cancel_at(const char *, size_t, int32_t token, void *user) {
  CancelAt &c = *static_cast<CancelAt *>(user);
  if (token < 0) return 0;
  if (++c.seen != c.at) return 0;
  std::unique_lock<std::mutex> lock(c.mu);
  c.request = true;
  c.cv.notify_all();
  c.cv.wait(lock, [&] { return c.done; });
  return 0;
}

TEST_F(ModelFixture, CancelFromAnotherThreadBetweenTokensStopsBeforeTheNextToken) {
  CancelAt c{new_session(), 3};
  std::thread canceller([&] {
    std::unique_lock<std::mutex> lock(c.mu);
    c.cv.wait(lock, [&] { return c.request; });
    EXPECT_EQ(dsv4_session_cancel(c.session), DSV4_OK);
    c.done = true;
    c.cv.notify_all();
  });
  dsv4_sampling_params s = sampling(0.8f, 1);
  dsv4_generate_params g = dsv4_generate_params_default();
  g.max_tokens = 64;
  g.ignore_eos = 1;
  g.sampling = &s;
  dsv4_generate_result r{};
  r.struct_size = sizeof(r);
  const dsv4_status status = dsv4_generate(c.session, prompt_.data(), prompt_.size(), &g, &r, cancel_at, &c);
  canceller.join();
  EXPECT_EQ(status, DSV4_CANCELLED);
  EXPECT_EQ(r.stop_reason, DSV4_STOP_CANCELLED);
  EXPECT_EQ(c.seen, 3);
  EXPECT_EQ(r.n_generated, 3);

  // A cancel left over from before a call does not stop the next one.
  ASSERT_EQ(dsv4_session_cancel(c.session), DSV4_OK);
  const Generated next = generate(c.session, prompt_, 4, s);
  EXPECT_EQ(next.status, DSV4_OK);
  EXPECT_EQ(next.tokens.size(), 4u);
}

struct Counter {
  std::atomic<int> tokens{0};
};

int32_t count_tokens(const char *, size_t, int32_t token, void *user) {
  if (token >= 0) static_cast<Counter *>(user)->tokens.fetch_add(1);
  return 0;
}

TEST_F(ModelFixture, CancelFromAnotherThreadAtAnyMomentStopsWithinOneToken) {
  dsv4_session *session = new_session(4096);
  Counter counter;
  int seen_at_cancel = -1;
  std::thread canceller([&] {
    while (counter.tokens.load() < 5) std::this_thread::yield();
    EXPECT_EQ(dsv4_session_cancel(session), DSV4_OK);
    seen_at_cancel = counter.tokens.load();
  });
  dsv4_sampling_params s = sampling(0.8f, 2);
  dsv4_generate_params g = dsv4_generate_params_default();
  g.max_tokens = -1;
  g.ignore_eos = 1;
  g.sampling = &s;
  dsv4_generate_result r{};
  r.struct_size = sizeof(r);
  const dsv4_status status = dsv4_generate(session, prompt_.data(), prompt_.size(), &g, &r, count_tokens, &counter);
  canceller.join();
  EXPECT_EQ(status, DSV4_CANCELLED);
  EXPECT_EQ(r.stop_reason, DSV4_STOP_CANCELLED);
  // The token being delivered when cancel() landed may still arrive; none after it.
  EXPECT_LE(counter.tokens.load(), seen_at_cancel + 1);
  EXPECT_EQ(r.n_generated, counter.tokens.load());
}

TEST_F(ModelFixture, ANonZeroCallbackReturnCancels) {
  const Generated r = generate(new_session(), prompt_, 32, sampling(0.8f, 3), {}, 2);
  EXPECT_EQ(r.status, DSV4_CANCELLED);
  EXPECT_EQ(r.result.stop_reason, DSV4_STOP_CALLBACK);
  EXPECT_EQ(r.tokens.size(), 2u);
  EXPECT_EQ(r.result.n_generated, 2);
}

TEST_F(ModelFixture, EndOfSequenceStopsUnlessIgnored) {
  dsv4_tokenizer_info info{};
  info.struct_size = sizeof(info);
  ASSERT_EQ(dsv4_model_get_tokenizer_info(model_, &info), DSV4_OK);
  dsv4_sampling_params s = sampling(0.8f, 4);
  const int32_t eos = info.eos;
  const float plus = 100.0f;
  s.logit_bias_tokens = &eos;
  s.logit_bias_values = &plus;
  s.n_logit_bias = 1;
  const Generated stopped = generate(new_session(), prompt_, 8, s, {}, -1, 0);
  EXPECT_EQ(stopped.status, DSV4_OK);
  EXPECT_EQ(stopped.result.stop_reason, DSV4_STOP_EOS);
  EXPECT_EQ(stopped.result.n_generated, 0);
  EXPECT_TRUE(stopped.tokens.empty());
  const Generated ignored = generate(new_session(), prompt_, 3, s, {}, -1, 1);
  EXPECT_EQ(ignored.result.stop_reason, DSV4_STOP_MAX_TOKENS);
  EXPECT_EQ(ignored.tokens, std::vector<int32_t>(3, eos));
}

TEST_F(ModelFixture, ContextFullAndPrefillOnly) {
  dsv4_session *s = new_session(11);
  const Generated r = generate(s, prompt_, 100, sampling(0.8f, 5));
  EXPECT_EQ(r.status, DSV4_OK);
  EXPECT_EQ(r.result.stop_reason, DSV4_STOP_CONTEXT_FULL);
  EXPECT_EQ(r.result.n_generated, 4);  // 8 prompt tokens + 3 evaluated, the 4th needs no room

  dsv4_session *p = new_session();
  const Generated prefill = generate(p, prompt_, 0, sampling(0.8f, 5));
  EXPECT_EQ(prefill.status, DSV4_OK);
  EXPECT_EQ(prefill.result.n_generated, 0);
  int64_t length = 0;
  ASSERT_EQ(dsv4_session_length(p, &length), DSV4_OK);
  EXPECT_EQ(length, 8);
}

TEST_F(ModelFixture, ExpertCountsAddUpToTheRoutingChoices) {
  dsv4_session *s = new_session();
  ASSERT_EQ(generate(s, prompt_, 10, sampling(0.8f, 6)).status, DSV4_OK);
  int64_t n_layer = 0, n_expert = 0, used = 0, dense = 0, length = 0;
  size_t need = 0;
  ASSERT_EQ(dsv4_session_expert_counts(s, nullptr, 0, &need, &n_layer, &n_expert), DSV4_ERR_BUFFER_TOO_SMALL);
  ASSERT_EQ(n_layer, 4);
  ASSERT_EQ(n_expert, 16);
  ASSERT_EQ(need, 64u);
  std::vector<uint64_t> counts(need);
  ASSERT_EQ(dsv4_session_expert_counts(s, counts.data(), counts.size(), &need, nullptr, nullptr), DSV4_OK);
  ASSERT_EQ(dsv4_model_meta_int(model_, "deepseek2.expert_used_count", &used), DSV4_OK);
  ASSERT_EQ(dsv4_model_meta_int(model_, "deepseek2.leading_dense_block_count", &dense), DSV4_OK);
  ASSERT_EQ(dsv4_session_length(s, &length), DSV4_OK);
  for (int64_t l = 0; l < n_layer; ++l) {
    uint64_t sum = 0;
    for (int64_t e = 0; e < n_expert; ++e) sum += counts[static_cast<size_t>(l * n_expert + e)];
    EXPECT_EQ(sum, l < dense ? 0u : static_cast<uint64_t>(length * used)) << "layer " << l;
  }
  ASSERT_EQ(dsv4_session_expert_counts_reset(s), DSV4_OK);
  ASSERT_EQ(dsv4_session_expert_counts(s, counts.data(), counts.size(), &need, nullptr, nullptr), DSV4_OK);
  EXPECT_EQ(std::count(counts.begin(), counts.end(), 0u), 64);
}

TEST_F(ModelFixture, BadArgumentsFailBeforeAnyWork) {
  dsv4_session *s = new_session(16);
  dsv4_sampling_params ok = sampling(0.8f, 0);
  EXPECT_EQ(generate(s, {}, 4, ok).status, DSV4_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(generate(s, {1, 40000}, 4, ok).status, DSV4_ERR_TOKEN_OUT_OF_RANGE);
  EXPECT_EQ(generate(s, std::vector<int32_t>(17, 1), 4, ok).status, DSV4_ERR_CONTEXT_FULL);
  EXPECT_EQ(generate(s, prompt_, 4, ok, {""}).status, DSV4_ERR_INVALID_ARGUMENT);
  dsv4_sampling_params bad = ok;
  bad.top_p = 2.0f;
  EXPECT_EQ(generate(s, prompt_, 4, bad).status, DSV4_ERR_INVALID_ARGUMENT);
  bad = ok;
  bad.struct_size = 3;
  EXPECT_EQ(generate(s, prompt_, 4, bad).status, DSV4_ERR_INVALID_ARGUMENT);
  int64_t length = -1;
  ASSERT_EQ(dsv4_session_length(s, &length), DSV4_OK);
  EXPECT_EQ(length, 0);
  // NULL params, result and callback are allowed.
  EXPECT_EQ(dsv4_generate(s, prompt_.data(), 4, nullptr, nullptr, nullptr, nullptr), DSV4_OK) << dsv4_last_error();
  EXPECT_EQ(dsv4_generate(nullptr, prompt_.data(), 4, nullptr, nullptr, nullptr, nullptr), DSV4_ERR_INVALID_ARGUMENT);
}

}  // namespace
}  // namespace dsv4
