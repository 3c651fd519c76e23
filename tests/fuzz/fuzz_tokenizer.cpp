// libFuzzer target: random bytes -> tokenize -> detokenize, on the real vocabularies
// (../shared/testdata/vocab, or $DSV4_TESTDATA/vocab). The first input byte picks the
// vocabulary and the flags; the rest is the text. Checked, beyond "no crash, no sanitizer
// report, no exception other than dsv4::Error":
//  * at most one id per byte (+1 for BOS), every id inside the vocabulary;
//  * DeepSeek V3: decode(encode(x)) == x for every byte string x;
//  * llm / coder: the same for valid UTF-8 (see tokenizer.h for the bytes they cannot keep);
//  * encoding is deterministic (the second call runs through the word cache);
//  * streaming: every push() plus flush() equals decode().
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "common/error.h"
#include "format/gguf.h"
#include "tokenizer/tokenizer.h"
#include "tokenizer/utf8.h"

namespace {

std::vector<std::unique_ptr<dsv4::Tokenizer>> g_tokenizers;  // v3, llm, coder

std::string testdata_dir() {
  if (const char *env = std::getenv("DSV4_TESTDATA"); env && *env) return env;
  return DSV4_TESTDATA_DIR;
}

void check(bool ok) {
  if (!ok) std::abort();  // libFuzzer reports the input
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int *, char ***) {
  for (const char *name : {"deepseek-v3", "deepseek-llm", "deepseek-coder"}) {
    dsv4::gguf::OpenOptions opts;
    opts.load_data = false;
    auto file = dsv4::gguf::File::open(testdata_dir() + "/vocab/ggml-vocab-" + name + ".gguf", opts);
    g_tokenizers.push_back(dsv4::Tokenizer::from_gguf(*file));
  }
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size == 0) return 0;
  const uint8_t control = data[0];
  const std::string text(reinterpret_cast<const char *>(data + 1), size - 1);
  const size_t which = (control & 3) % g_tokenizers.size();
  const dsv4::Tokenizer &tok = *g_tokenizers[which];
  const bool parse_special = (control & 4) != 0;
  const bool add_bos = (control & 8) != 0;

  std::vector<int32_t> ids = tok.encode(text, add_bos, parse_special);  // may not throw: BOS exists
  check(ids.size() <= text.size() + (add_bos ? 1 : 0));
  for (int32_t id : ids) check(id >= 0 && id < tok.n_vocab());
  check(tok.encode(text, add_bos, parse_special) == ids);

  std::vector<int32_t> body(ids.begin() + (add_bos ? 1 : 0), ids.end());
  const std::string decoded = tok.decode(body);
  if (which == 0 || dsv4::utf8::is_valid(text)) check(decoded == text);

  dsv4::StreamDecoder stream(tok);
  std::string streamed;
  for (int32_t id : body) streamed += stream.push(id);
  streamed += stream.flush();
  check(streamed == decoded);
  return 0;
}
