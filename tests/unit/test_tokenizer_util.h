// Shared helper of the tokenizer tests: the reference tokenizers, loaded once per process
// (from the main thread, before any test starts threads).
#pragma once

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "common/testdata.h"
#include "format/gguf.h"
#include "tokenizer/tokenizer.h"

namespace dsv4::test {

// vocab/ggml-vocab-<name>.gguf through Tokenizer::from_gguf (name: deepseek-v3, -llm, -coder).
inline const Tokenizer &gguf_tokenizer(const std::string &name) {
  static std::vector<std::pair<std::string, std::unique_ptr<Tokenizer>>> cache;
  for (auto &[n, t] : cache)
    if (n == name) return *t;
  gguf::OpenOptions opts;
  opts.load_data = false;
  auto file = gguf::File::open(testdata_path("vocab/ggml-vocab-" + name + ".gguf"), opts);
  cache.emplace_back(name, Tokenizer::from_gguf(*file));
  return *cache.back().second;
}

// tokenizer/deepseek-v3/tokenizer.json (+ tokenizer_config.json) through from_hf_json.
inline const Tokenizer &hf_v3_tokenizer() {
  static std::unique_ptr<Tokenizer> tok = Tokenizer::from_hf_json(testdata_path("tokenizer/deepseek-v3/tokenizer.json"));
  return *tok;
}

}  // namespace dsv4::test
