// Tokenizer::from_gguf: the tokenizer.* keys of a GGUF, as llama.cpp's converter writes them.
// Works for model files and for vocab-only files alike; general.architecture and every
// architecture key are ignored.
#include <limits>

#include "common/error.h"
#include "format/gguf.h"
#include "tokenizer/pretokenizer_lists.h"
#include "tokenizer/tokenizer.h"

namespace dsv4 {
namespace {

constexpr const char *kModel = "tokenizer.ggml.model";
constexpr const char *kPre = "tokenizer.ggml.pre";
constexpr const char *kTokens = "tokenizer.ggml.tokens";
constexpr const char *kTypes = "tokenizer.ggml.token_type";
constexpr const char *kMerges = "tokenizer.ggml.merges";

// A special-token id key: absent → -1. Converters write "none" as -1 or as 0xFFFFFFFF in a
// UINT32; both mean no such token.
int32_t special_id(const gguf::File &f, const char *key, size_t n_vocab) {
  std::optional<int64_t> v = f.get_int(key);
  if (!v || *v == -1 || *v == 0xFFFFFFFFLL) return -1;
  check_format(*v >= 0 && static_cast<uint64_t>(*v) < n_vocab,
               f.path() + ": " + key + " = " + std::to_string(*v) + " is outside the vocabulary [0, " +
                   std::to_string(n_vocab) + ")");
  return static_cast<int32_t>(*v);
}

}  // namespace

std::unique_ptr<Tokenizer> Tokenizer::from_gguf(const gguf::File &f) {
  const std::string &path = f.path();
  std::optional<std::string> model = f.get_string(kModel);
  check_format(model.has_value(), path + ": " + kModel + " is missing (the file has no tokenizer)");
  if (*model != "gpt2")
    fail(DSV4_ERR_UNSUPPORTED, path + ": " + kModel + " is '" + *model +
                                   "'; only 'gpt2' (byte-level BPE, the DeepSeek tokenizers) is supported");

  TokenizerSpec spec;
  spec.source = path;
  const std::vector<std::string> *tokens = f.get_string_array(kTokens);
  check_format(tokens != nullptr, path + ": " + kTokens + " is missing or not an array of strings");
  spec.tokens = *tokens;
  const size_t n = spec.tokens.size();

  std::optional<std::vector<int64_t>> types = f.get_int_array(kTypes);
  if (types) {
    check_format(types->size() == n, path + ": " + kTypes + " has " + std::to_string(types->size()) +
                                         " entries for " + std::to_string(n) + " tokens");
    spec.types.reserve(n);
    for (size_t i = 0; i < n; ++i) {
      int64_t t = (*types)[i];
      check_format(t >= 0 && t <= static_cast<int64_t>(TokenType::Byte),
                   path + ": " + kTypes + "[" + std::to_string(i) + "] = " + std::to_string(t) +
                       " is not a token type (0..6)");
      spec.types.push_back(static_cast<TokenType>(t));
    }
  } else {
    spec.types.assign(n, TokenType::Normal);
  }

  const std::vector<std::string> *merges = f.get_string_array(kMerges);
  check_format(merges != nullptr, path + ": " + kMerges + " is missing or not an array of strings");
  spec.merges.reserve(merges->size());
  for (size_t i = 0; i < merges->size(); ++i) {
    const std::string &m = (*merges)[i];
    // "left right": byte-alphabet tokens never contain a plain space, but the search starts at
    // 1 so a left part that is itself a space still splits right (as llama.cpp does).
    size_t sep = m.find(' ', 1);
    check_format(sep != std::string::npos, path + ": " + kMerges + "[" + std::to_string(i) + "] = '" + m +
                                               "' is not two tokens separated by a space");
    spec.merges.emplace_back(m.substr(0, sep), m.substr(sep + 1));
  }

  spec.pre_name = f.get_string(kPre).value_or("");
  spec.pre_regexes = pretokenizer_regexes(spec.pre_name);

  spec.bos = special_id(f, "tokenizer.ggml.bos_token_id", n);
  spec.eos = special_id(f, "tokenizer.ggml.eos_token_id", n);
  spec.pad = special_id(f, "tokenizer.ggml.padding_token_id", n);
  spec.add_bos = f.get_bool("tokenizer.ggml.add_bos_token").value_or(false);
  return std::make_unique<Tokenizer>(std::move(spec));
}

}  // namespace dsv4
