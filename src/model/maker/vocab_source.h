// Where a made model's `tokenizer.*` keys come from: copied verbatim from a GGUF, built from a
// Hugging Face tokenizer.json the way llama.cpp's converter builds them, or synthesized (a small
// byte-level vocabulary, so tiny models are self-contained). Internal to src/model/maker.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "format/gguf.h"

namespace dsv4::maker {

struct VocabKeys {
  std::vector<gguf::KeyValue> keys;  // tokenizer.* keys, in the order they are written
  int64_t n_tokens = 0;              // length of tokenizer.ggml.tokens = the model's n_vocab
};

// Every tokenizer.* key of a GGUF (model or vocab-only), in file order, values untouched.
VocabKeys vocab_from_gguf(const std::string &path);

// tokenizer.json (+ tokenizer_config.json beside it, when present, for bos/eos/pad and
// add_bos_token / add_eos_token). Token types: 1 normal, 3 control (special added tokens),
// 4 user-defined (other added tokens), 5 unused for the "[PADn]" entries that fill ids missing
// from the file below pad_to (a vocabulary with higher ids keeps them all). Merges are written "a b".
// tokenizer.ggml.model = gpt2, pre = deepseek-v3.
VocabKeys vocab_from_tokenizer_json(const std::string &path, int64_t pad_to);

// 3 control tokens (<｜begin▁of▁sentence｜>, <｜end▁of▁sentence｜>, <｜▁pad▁｜>; bos 0, eos 1,
// pad 1), the 256 byte tokens in GPT-2's byte alphabet, no merges, then "[PADn]" unused
// entries up to n_tokens (at least 259).
VocabKeys vocab_synthetic(int64_t n_tokens, bool add_bos);

// By content: a file starting with the GGUF magic is a GGUF, anything else a tokenizer.json.
VocabKeys load_vocab(const std::string &path, int64_t pad_to);

}  // namespace dsv4::maker
