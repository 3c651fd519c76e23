// DeepSeek's byte-level BPE tokenizer (V2 / V3 / R1 / V4 vocabularies), built from GGUF
// metadata or from a Hugging Face tokenizer.json. Facts: spec/ggml-formats.md §5,
// spec/deepseek-v3.md §7, spec/deepseek-v4.md §9.
//
// Encoding, in order:
//  1. (parse_special) added tokens — GGUF types CONTROL, USER_DEFINED and UNKNOWN, HF
//     `added_tokens` — are cut out of the raw text, leftmost-longest first. With
//     parse_special = false nothing is matched, so untrusted text can never produce a control
//     or role token such as <｜User｜>; it is tokenized as ordinary text. (llama.cpp still
//     matches USER_DEFINED tokens in that mode, which is how V3's <｜User｜> — a non-special
//     added token — would slip through.)
//  2. Each remaining stretch is split by the pre-tokenizer regex list (regex_split.h).
//  3. Each piece is merged by BPE (bpe.h), with a cache of recent pieces (word_cache.h).
//
// Any byte string is accepted. Invalid UTF-8 is neither rejected nor replaced: the invalid
// bytes match no regex class, so they form pieces of their own that BPE spells with the
// single-byte tokens. Hence decode(encode(x)) == x for every byte string x whenever the byte
// tokens are NORMAL (DeepSeek V3 / V4). For the deepseek-llm and deepseek-coder vocabularies
// the bytes 0xC0, 0xC1 and 0xF5..0xFF — which never occur in valid UTF-8 — are spelled by
// USER_DEFINED tokens whose text is a Latin-1 letter, so those bytes decode to that letter.
// For valid UTF-8 the round trip is always exact.
//
// Decoding: NORMAL tokens are spelled in GPT-2's byte alphabet and decode to their bytes;
// added tokens decode to their text as it is; UNUSED tokens (vocabulary padding) decode to
// nothing. A token's bytes may be part of a UTF-8 sequence; StreamDecoder buffers those.
//
// A Tokenizer is immutable after construction and may be shared by any number of threads.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

namespace dsv4 {

namespace gguf {
class File;
}

class AddedTokenMatcher;
class BpeModel;
class RegexSplitter;
class WordCache;

// GGUF `tokenizer.ggml.token_type` values (llama.cpp's llama_token_type).
enum class TokenType : uint8_t {
  Undefined = 0,
  Normal = 1,
  Unknown = 2,
  Control = 3,
  UserDefined = 4,
  Unused = 5,
  Byte = 6,
};

// Everything a tokenizer is built from; the GGUF and tokenizer.json loaders fill it.
struct TokenizerSpec {
  std::string source;                 // file the data came from, for messages
  std::vector<std::string> tokens;    // id → text (GPT-2 byte alphabet for NORMAL tokens)
  std::vector<TokenType> types;       // same length as tokens
  std::vector<std::pair<std::string, std::string>> merges;  // in rank order
  std::vector<std::string> pre_regexes;  // pre-tokenizer list (PCRE2 syntax)
  std::string pre_name;               // "deepseek-v3", … or "tokenizer.json"
  int32_t bos = -1, eos = -1, pad = -1;  // -1: none
  bool add_bos = false;               // whether hosts should add BOS by default
};

class Tokenizer {
 public:
  // Reads the tokenizer.* keys of a GGUF (model or vocab-only; the architecture is ignored).
  // tokenizer.ggml.model must be "gpt2" and tokenizer.ggml.pre a DeepSeek list, else
  // DSV4_ERR_UNSUPPORTED naming the value; missing or inconsistent keys are DSV4_ERR_FORMAT.
  static std::unique_ptr<Tokenizer> from_gguf(const gguf::File &file);

  // Reads a Hugging Face tokenizer.json (BPE model, byte-level pre-tokenizer of Split steps)
  // and, when present beside it, tokenizer_config.json for bos/eos/pad and add_bos_token.
  // Constructs the file does not use faithfully (normalizers, byte fallback, lstrip/rstrip
  // added tokens, …) are DSV4_ERR_UNSUPPORTED naming them.
  static std::unique_ptr<Tokenizer> from_hf_json(const std::string &tokenizer_json_path);
  // The same from in-memory text; config_json may be empty. source names it in messages.
  static std::unique_ptr<Tokenizer> from_hf_json_text(std::string_view tokenizer_json, std::string_view config_json,
                                                      const std::string &source);

  // Validates spec and builds the tables (DSV4_ERR_FORMAT naming the first problem).
  explicit Tokenizer(TokenizerSpec spec);
  ~Tokenizer();
  Tokenizer(const Tokenizer &) = delete;
  Tokenizer &operator=(const Tokenizer &) = delete;

  // Token ids of text. add_bos prepends bos_id() (DSV4_ERR_INVALID_ARGUMENT when there is
  // none). Every token covers at least one byte of text, so the result has at most
  // text.size() + 1 ids.
  std::vector<int32_t> encode(std::string_view text, bool add_bos, bool parse_special) const;
  // Appends to out instead.
  void encode_into(std::string_view text, bool add_bos, bool parse_special, std::vector<int32_t> &out) const;

  // Concatenated bytes of the tokens; skip_special leaves CONTROL and UNKNOWN tokens out.
  // An id outside [0, n_vocab) is DSV4_ERR_TOKEN_OUT_OF_RANGE naming it and its position.
  std::string decode(std::span<const int32_t> ids, bool skip_special = false) const;
  std::string decode(const std::vector<int32_t> &ids) const { return decode(std::span<const int32_t>(ids)); }

  // The bytes one token stands for (possibly an incomplete UTF-8 sequence).
  std::string_view token_to_piece(int32_t id) const;
  // The token's vocabulary entry as stored (byte alphabet for NORMAL tokens).
  const std::string &token_text(int32_t id) const;
  TokenType token_type(int32_t id) const;
  // The id whose vocabulary entry is exactly text, if any.
  std::optional<int32_t> find_token(std::string_view text) const;

  int32_t n_vocab() const { return static_cast<int32_t>(tokens_.size()); }
  int32_t bos_id() const { return bos_; }
  int32_t eos_id() const { return eos_; }
  int32_t pad_id() const { return pad_; }
  bool add_bos_default() const { return add_bos_; }
  const std::string &pre_name() const { return pre_name_; }
  const std::string &source() const { return source_; }
  size_t n_merges() const;
  size_t n_added_tokens() const;
  const BpeModel &bpe_model() const { return *bpe_; }  // the merge table (tests, tools)

 private:
  struct Scratch;
  static constexpr size_t kNoPosition = ~size_t{0};
  void check_id(int32_t id, size_t position) const;  // TOKEN_OUT_OF_RANGE unless 0 <= id < n_vocab
  void encode_plain(std::string_view text, std::vector<int32_t> &out, Scratch &scratch) const;
  void encode_piece(std::string_view piece, std::vector<int32_t> &out, Scratch &scratch) const;

  std::string source_;
  std::string pre_name_;
  std::vector<std::string> tokens_;
  std::vector<TokenType> types_;
  std::unordered_map<std::string_view, int32_t> ids_by_text_;  // views into tokens_ (never modified)
  std::string piece_bytes_;              // all decoded pieces back to back
  std::vector<uint32_t> piece_offsets_;  // n_vocab + 1 offsets into piece_bytes_
  std::unique_ptr<BpeModel> bpe_;
  std::unique_ptr<RegexSplitter> splitter_;
  std::unique_ptr<AddedTokenMatcher> added_;
  std::unique_ptr<WordCache> cache_;
  int32_t bos_ = -1, eos_ = -1, pad_ = -1;
  bool add_bos_ = false;
};

// Turns a stream of token ids into text that never ends inside a UTF-8 sequence: bytes that
// may still become a character are held back until the next token completes them. Bytes that
// can never become valid UTF-8 are passed on unchanged, so the concatenation of every push()
// plus flush() equals Tokenizer::decode of the same ids. One StreamDecoder per stream; it
// keeps a reference to the tokenizer, which must outlive it.
class StreamDecoder {
 public:
  explicit StreamDecoder(const Tokenizer &tokenizer, bool skip_special = false)
      : tokenizer_(&tokenizer), skip_special_(skip_special) {}

  // Text completed by this token (may be empty). Out-of-range ids throw as in decode(), and
  // leave the decoder unchanged.
  std::string push(int32_t id);
  // Whatever is held back (an unfinished sequence, as raw bytes); the decoder is then empty.
  std::string flush();
  void reset() { pending_.clear(); }
  size_t pending_bytes() const { return pending_.size(); }

 private:
  const Tokenizer *tokenizer_;
  bool skip_special_;
  std::string pending_;
};

}  // namespace dsv4
