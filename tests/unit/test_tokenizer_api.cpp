// The tokenizer through the C ABI (size negotiation, flags, streaming, lifetime) and through
// the dsv4 CLI (tokenize / detokenize with a GGUF and with a tokenizer.json).
#include <gtest/gtest.h>

#include <array>
#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include <sys/wait.h>

#include "common/testdata.h"
#include "dsv4/dsv4.h"

namespace dsv4::test {
namespace {

const std::vector<int32_t> kHelloWorld = {19923, 2058};  // "Hello world", cases.golden.jsonl

class TokenizerCApi : public ::testing::Test {
 protected:
  void SetUp() override {
    dsv4_model_params p = dsv4_model_params_default();
    p.vocab_only = 1;
    ASSERT_EQ(dsv4_model_load(testdata_path("vocab/ggml-vocab-deepseek-v3.gguf").c_str(), &p, &model_), DSV4_OK)
        << dsv4_last_error();
  }
  void TearDown() override { EXPECT_EQ(dsv4_model_free(model_), DSV4_OK); }

  std::vector<int32_t> tokenize(const std::string &text, uint32_t flags) {
    size_t n = 0;
    dsv4_status st = dsv4_tokenize(model_, text.data(), text.size(), flags, nullptr, 0, &n);
    if (st == DSV4_OK) return {};
    EXPECT_EQ(st, DSV4_ERR_BUFFER_TOO_SMALL);
    std::vector<int32_t> ids(n);
    size_t n2 = 0;
    EXPECT_EQ(dsv4_tokenize(model_, text.data(), text.size(), flags, ids.data(), ids.size(), &n2), DSV4_OK);
    EXPECT_EQ(n2, n);
    return ids;
  }

  std::string detokenize(const std::vector<int32_t> &ids, uint32_t flags) {
    size_t n = 0;
    EXPECT_EQ(dsv4_detokenize(model_, ids.data(), ids.size(), flags, nullptr, 0, &n), DSV4_ERR_BUFFER_TOO_SMALL);
    std::vector<char> buf(n);
    EXPECT_EQ(dsv4_detokenize(model_, ids.data(), ids.size(), flags, buf.data(), buf.size(), &n), DSV4_OK);
    return std::string(buf.data(), n - 1);
  }

  dsv4_model *model_ = nullptr;
};

TEST_F(TokenizerCApi, TokenizeWithSizeNegotiationAndFlags) {
  EXPECT_EQ(tokenize("Hello world", 0), kHelloWorld);
  EXPECT_EQ(tokenize("Hello world", DSV4_TOKENIZE_ADD_BOS), (std::vector<int32_t>{0, 19923, 2058}));
  EXPECT_EQ(tokenize("<｜User｜>", DSV4_TOKENIZE_PARSE_SPECIAL), (std::vector<int32_t>{128803}));
  std::vector<int32_t> plain = tokenize("<｜User｜>", 0);
  EXPECT_GT(plain.size(), 1u);
  EXPECT_EQ(detokenize(plain, 0), "<｜User｜>");

  size_t n = 99;
  EXPECT_EQ(dsv4_tokenize(model_, nullptr, 0, 0, nullptr, 0, &n), DSV4_OK);  // empty text
  EXPECT_EQ(n, 0u);
  int32_t one = -1;
  EXPECT_EQ(dsv4_tokenize(model_, "Hello world", 11, 0, &one, 1, &n), DSV4_ERR_BUFFER_TOO_SMALL);
  EXPECT_EQ(n, 2u);
  EXPECT_EQ(dsv4_tokenize(model_, "x", 1, 4, &one, 1, &n), DSV4_ERR_INVALID_ARGUMENT);  // unknown flag
  EXPECT_EQ(dsv4_tokenize(model_, "x", 1, 0, &one, 1, nullptr), DSV4_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(dsv4_tokenize(model_, nullptr, 3, 0, &one, 1, &n), DSV4_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(dsv4_tokenize(nullptr, "x", 1, 0, &one, 1, &n), DSV4_ERR_INVALID_ARGUMENT);
  // Bytes that are not UTF-8, and NUL bytes, are ordinary text.
  const std::string odd("a\0\xFF\xE4z", 5);
  EXPECT_EQ(detokenize(tokenize(odd, 0), 0), odd);
}

TEST_F(TokenizerCApi, DetokenizeAndPieces) {
  EXPECT_EQ(detokenize(kHelloWorld, 0), "Hello world");
  EXPECT_EQ(detokenize({0, 19923, 2058, 1}, 0), "<｜begin▁of▁sentence｜>Hello world<｜end▁of▁sentence｜>");
  EXPECT_EQ(detokenize({0, 19923, 2058, 1}, DSV4_DETOKENIZE_SKIP_SPECIAL), "Hello world");
  size_t n = 0;
  std::array<char, 64> buf{};
  EXPECT_EQ(dsv4_token_to_piece(model_, 2058, 0, buf.data(), buf.size(), &n), DSV4_OK);
  EXPECT_EQ(std::string(buf.data(), n - 1), " world");
  EXPECT_EQ(dsv4_token_to_piece(model_, 129280, 0, buf.data(), buf.size(), &n), DSV4_ERR_TOKEN_OUT_OF_RANGE);
  EXPECT_NE(std::string(dsv4_last_error()).find("129280"), std::string::npos);
  const int32_t bad[] = {5, -3};
  EXPECT_EQ(dsv4_detokenize(model_, bad, 2, 0, buf.data(), buf.size(), &n), DSV4_ERR_TOKEN_OUT_OF_RANGE);
  EXPECT_EQ(dsv4_detokenize(model_, bad, 1, 8, buf.data(), buf.size(), &n), DSV4_ERR_INVALID_ARGUMENT);
}

TEST_F(TokenizerCApi, TokenizerInfo) {
  dsv4_tokenizer_info info{};
  info.struct_size = sizeof(info);
  ASSERT_EQ(dsv4_model_get_tokenizer_info(model_, &info), DSV4_OK);
  EXPECT_EQ(info.n_vocab, 129280);
  EXPECT_EQ(info.bos, 0);
  EXPECT_EQ(info.eos, 1);
  EXPECT_EQ(info.pad, 1);
  EXPECT_EQ(info.add_bos, 1u);
  info.struct_size = 0;
  EXPECT_EQ(dsv4_model_get_tokenizer_info(model_, &info), DSV4_ERR_INVALID_ARGUMENT);
}

TEST_F(TokenizerCApi, StreamingDetokenizer) {
  const std::string text = "深度求索 🦙 façade";
  std::vector<int32_t> ids = tokenize(text, 0);
  dsv4_detokenizer *d = nullptr;
  ASSERT_EQ(dsv4_detokenizer_new(model_, 0, &d), DSV4_OK);
  EXPECT_EQ(dsv4_model_free(model_), DSV4_ERR_BUSY);  // the detokenizer still needs the model
  std::string out;
  std::array<char, 64> buf{};
  for (int32_t id : ids) {
    size_t n = 0;
    // Asking first (cap 0 never fits, not even the NUL) does not consume the token.
    ASSERT_EQ(dsv4_detokenizer_push(d, id, nullptr, 0, &n), DSV4_ERR_BUFFER_TOO_SMALL);
    ASSERT_LE(n, buf.size());
    ASSERT_EQ(dsv4_detokenizer_push(d, id, buf.data(), n, &n), DSV4_OK) << dsv4_last_error();
    out.append(buf.data(), n - 1);
  }
  size_t n = 0;
  ASSERT_EQ(dsv4_detokenizer_flush(d, buf.data(), buf.size(), &n), DSV4_OK);
  out.append(buf.data(), n - 1);
  EXPECT_EQ(out, text);
  EXPECT_EQ(dsv4_detokenizer_push(d, -1, buf.data(), buf.size(), &n), DSV4_ERR_TOKEN_OUT_OF_RANGE);
  EXPECT_EQ(dsv4_detokenizer_free(d), DSV4_OK);
  EXPECT_EQ(dsv4_detokenizer_free(nullptr), DSV4_OK);
}

TEST_F(TokenizerCApi, StreamingHoldsPartialCharacters) {
  // "中" is E4 B8 AD; spelled with the three single-byte tokens it must come out whole.
  const std::string zhong = "\xE4\xB8\xAD";
  std::vector<int32_t> bytes;
  for (unsigned char c : zhong) {
    std::vector<int32_t> one = tokenize(std::string(1, static_cast<char>(c)), 0);
    ASSERT_EQ(one.size(), 1u);
    bytes.push_back(one[0]);
  }
  dsv4_detokenizer *d = nullptr;
  ASSERT_EQ(dsv4_detokenizer_new(model_, DSV4_DETOKENIZE_SKIP_SPECIAL, &d), DSV4_OK);
  std::array<char, 16> buf{};
  size_t n = 0;
  ASSERT_EQ(dsv4_detokenizer_push(d, bytes[0], buf.data(), buf.size(), &n), DSV4_OK);
  EXPECT_EQ(n, 1u);
  ASSERT_EQ(dsv4_detokenizer_push(d, bytes[1], buf.data(), buf.size(), &n), DSV4_OK);
  EXPECT_EQ(n, 1u);
  ASSERT_EQ(dsv4_detokenizer_push(d, 1, buf.data(), buf.size(), &n), DSV4_OK);  // EOS skipped
  EXPECT_EQ(n, 1u);
  EXPECT_EQ(dsv4_detokenizer_push(d, bytes[2], buf.data(), 2, &n), DSV4_ERR_BUFFER_TOO_SMALL);
  EXPECT_EQ(n, 4u);
  ASSERT_EQ(dsv4_detokenizer_push(d, bytes[2], buf.data(), buf.size(), &n), DSV4_OK);
  EXPECT_EQ(std::string(buf.data(), n - 1), zhong);
  EXPECT_EQ(dsv4_detokenizer_free(d), DSV4_OK);
}

// ------------------------------------------------------------------------------- CLI

struct RunResult {
  int exit_code = -1;
  std::string out;
};

RunResult run(const std::string &args) {
  RunResult r;
  std::string cmd = binary_path("dsv4") + " " + args + " 2>/dev/null";
  FILE *p = popen(cmd.c_str(), "r");
  if (!p) return r;
  std::array<char, 4096> buf{};
  size_t n = 0;
  while ((n = std::fread(buf.data(), 1, buf.size(), p)) > 0) r.out.append(buf.data(), n);
  int status = pclose(p);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

std::string quote(const std::string &s) {  // for /bin/sh, single quotes
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

TEST(TokenizerCli, TokenizeAndDetokenize) {
  const std::string gguf = quote(testdata_path("vocab/ggml-vocab-deepseek-v3.gguf"));
  const std::string json = quote(testdata_path("tokenizer/deepseek-v3/tokenizer.json"));
  for (const std::string &model : {gguf, json}) {
    RunResult r = run("tokenize --model " + model + " --text 'Hello world'");
    EXPECT_EQ(r.exit_code, 0);
    EXPECT_EQ(r.out, "19923,2058\n");
    EXPECT_EQ(run("tokenize --model " + model + " --text 'Hello world' --bos").out, "0,19923,2058\n");
    EXPECT_EQ(run("tokenize --model " + model + " --text '<｜User｜>'").out, "128803\n");
    EXPECT_NE(run("tokenize --model " + model + " --text '<｜User｜>' --no-special").out, "128803\n");
    RunResult d = run("detokenize --model " + model + " --tokens 19923,2058");
    EXPECT_EQ(d.exit_code, 0);
    EXPECT_EQ(d.out, "Hello world");  // exactly the text, no newline added
  }
  // --text-file is read byte for byte: the trailing newline is part of the text.
  const std::string dir = make_temp_dir("tok-cli");
  const std::string file = dir + "/t.txt";
  std::ofstream(file, std::ios::binary) << "hello\nworld\n";
  EXPECT_EQ(run("tokenize --model " + gguf + " --text-file " + quote(file)).out, "33310,201,29616,201\n");
  EXPECT_EQ(run("tokenize --model " + gguf + " --text ''").out, "\n");

  EXPECT_EQ(run("tokenize --model " + gguf).exit_code, 2);  // neither --text nor --text-file
  EXPECT_EQ(run("tokenize --model " + gguf + " --text a --text-file " + quote(file)).exit_code, 2);
  EXPECT_EQ(run("detokenize --model " + gguf + " --tokens 1,x").exit_code, 2);
  EXPECT_EQ(run("detokenize --model " + gguf + " --tokens 999999").exit_code, 1);
  EXPECT_EQ(run("tokenize --model /nonexistent.gguf --text a").exit_code, 1);
}

}  // namespace
}  // namespace dsv4::test
