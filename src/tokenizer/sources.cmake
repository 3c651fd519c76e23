# Sources of src/tokenizer (explicit list, no GLOB).
list(APPEND DSV4_LIB_SOURCES
  src/tokenizer/added_tokens.cpp
  src/tokenizer/bpe.cpp
  src/tokenizer/byte_level.cpp
  src/tokenizer/load_gguf.cpp
  src/tokenizer/load_hf_json.cpp
  src/tokenizer/pretokenizer_lists.cpp
  src/tokenizer/regex_split.cpp
  src/tokenizer/stream_decoder.cpp
  src/tokenizer/tokenizer.cpp
  src/tokenizer/utf8.cpp
  src/tokenizer/word_cache.cpp
)
