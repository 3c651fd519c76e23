// Tokenizer construction (validation, lookup tables) and encode / decode.
#include "tokenizer/tokenizer.h"

#include <array>
#include <cstdio>
#include <limits>

#include "common/error.h"
#include "tokenizer/added_tokens.h"
#include "tokenizer/bpe.h"
#include "tokenizer/byte_level.h"
#include "tokenizer/regex_split.h"
#include "tokenizer/utf8.h"
#include "tokenizer/word_cache.h"

namespace dsv4 {
namespace {

bool is_added(TokenType t) {
  return t == TokenType::Control || t == TokenType::UserDefined || t == TokenType::Unknown;
}

bool is_special(TokenType t) { return t == TokenType::Control || t == TokenType::Unknown; }

// Vocabulary entries are spelled in the byte alphabet unless they are added tokens (their text
// is literal) or padding.
bool is_byte_spelled(TokenType t) {
  return t == TokenType::Normal || t == TokenType::Byte || t == TokenType::Undefined;
}

std::string quoted(std::string_view s) {
  constexpr size_t kMax = 60;
  std::string out = "'";
  out.append(s.substr(0, kMax));
  if (s.size() > kMax) out += "…";
  return out + "'";
}

}  // namespace

// Per-call working memory of encode.
struct Tokenizer::Scratch {
  BpeScratch bpe;
  std::vector<AddedTokenMatcher::Fragment> fragments;
};

Tokenizer::Tokenizer(TokenizerSpec spec)
    : source_(std::move(spec.source)),
      pre_name_(std::move(spec.pre_name)),
      tokens_(std::move(spec.tokens)),
      types_(std::move(spec.types)),
      added_(std::make_unique<AddedTokenMatcher>()),
      cache_(std::make_unique<WordCache>()),
      bos_(spec.bos),
      eos_(spec.eos),
      pad_(spec.pad),
      add_bos_(spec.add_bos) {
  const std::string where = source_.empty() ? "tokenizer" : source_;
  check_format(!tokens_.empty(), where + ": the vocabulary is empty");
  check_format(tokens_.size() < static_cast<size_t>(std::numeric_limits<int32_t>::max()),
               where + ": the vocabulary has " + std::to_string(tokens_.size()) + " tokens, too many");
  check_format(types_.size() == tokens_.size(), where + ": " + std::to_string(types_.size()) +
                                                    " token types for " + std::to_string(tokens_.size()) + " tokens");
  const int32_t n = static_cast<int32_t>(tokens_.size());
  auto check_special_id = [&](int32_t id, const char *what) {
    check_format(id >= -1 && id < n, where + ": " + what + " token id " + std::to_string(id) +
                                         " is outside the vocabulary [0, " + std::to_string(n) + ")");
  };
  check_special_id(bos_, "BOS");
  check_special_id(eos_, "EOS");
  check_special_id(pad_, "padding");
  check_format(!add_bos_ || bos_ >= 0, where + ": add_bos is set but there is no BOS token");

  // Text → id. A text listed twice keeps its NORMAL spelling (the one BPE can produce), else
  // its lowest id.
  ids_by_text_.reserve(tokens_.size());
  for (int32_t id = 0; id < n; ++id) {
    auto [it, inserted] = ids_by_text_.try_emplace(tokens_[id], id);
    if (!inserted && !is_byte_spelled(types_[it->second]) && is_byte_spelled(types_[id])) it->second = id;
  }

  // Single-byte tokens: byte-level BPE needs all 256, or some inputs would have no spelling.
  std::array<int32_t, 256> byte_tokens{};
  for (int b = 0; b < 256; ++b) {
    auto it = ids_by_text_.find(byte_level::text_of(static_cast<uint8_t>(b)));
    if (it == ids_by_text_.end()) {
      char hex[8];
      std::snprintf(hex, sizeof(hex), "0x%02X", b);
      fail(DSV4_ERR_FORMAT, where + ": the vocabulary has no token for byte " + hex + " (" +
                                quoted(byte_level::text_of(static_cast<uint8_t>(b))) +
                                "); byte-level BPE needs all 256");
    }
    byte_tokens[b] = it->second;
  }

  // Merges: both parts and their concatenation must be tokens (as HF `tokenizers` requires).
  std::vector<BpeMerge> merges;
  merges.reserve(spec.merges.size());
  for (size_t rank = 0; rank < spec.merges.size(); ++rank) {
    // Plain references, not a structured binding: the lambda below captures them (clang 14
    // refuses captured bindings).
    const std::string &left = spec.merges[rank].first;
    const std::string &right = spec.merges[rank].second;
    auto lookup = [&](const std::string &text) {
      auto it = ids_by_text_.find(text);
      if (it == ids_by_text_.end())
        fail(DSV4_ERR_FORMAT, where + ": merge " + std::to_string(rank) + " (" + quoted(left) + " + " +
                                  quoted(right) + "): " + quoted(text) + " is not in the vocabulary");
      return it->second;
    };
    merges.push_back({lookup(left), lookup(right), lookup(left + right)});
  }
  bpe_ = std::make_unique<BpeModel>(byte_tokens, merges);

  // Pieces: what each token decodes to.
  piece_offsets_.reserve(tokens_.size() + 1);
  piece_offsets_.push_back(0);
  for (int32_t id = 0; id < n; ++id) {
    const std::string &text = tokens_[id];
    TokenType t = types_[id];
    if (is_byte_spelled(t)) {
      // An entry outside the byte alphabet cannot come from byte-level BPE; it decodes to its
      // text as it is (HF's ByteLevel decoder does the same).
      std::optional<std::string> bytes = byte_level::decode(text);
      piece_bytes_ += bytes ? *bytes : text;
    } else if (t != TokenType::Unused) {
      piece_bytes_ += text;
    }
    check_format(piece_bytes_.size() <= std::numeric_limits<uint32_t>::max(),
                 where + ": the vocabulary text is larger than 4 GiB");
    piece_offsets_.push_back(static_cast<uint32_t>(piece_bytes_.size()));
  }

  for (int32_t id = 0; id < n; ++id)
    if (is_added(types_[id])) added_->add(tokens_[id], id);

  splitter_ = std::make_unique<RegexSplitter>(std::move(spec.pre_regexes));
}

Tokenizer::~Tokenizer() = default;

size_t Tokenizer::n_merges() const { return bpe_->n_merges(); }
size_t Tokenizer::n_added_tokens() const { return added_->size(); }

std::vector<int32_t> Tokenizer::encode(std::string_view text, bool add_bos, bool parse_special) const {
  std::vector<int32_t> out;
  out.reserve(text.size() / 3 + 2);
  encode_into(text, add_bos, parse_special, out);
  return out;
}

void Tokenizer::encode_into(std::string_view text, bool add_bos, bool parse_special, std::vector<int32_t> &out) const {
  if (add_bos) {
    if (bos_ < 0) fail(DSV4_ERR_INVALID_ARGUMENT, source_ + ": add_bos was requested but the tokenizer has no BOS token");
    out.push_back(bos_);
  }
  Scratch scratch;
  if (!parse_special || added_->empty()) {
    encode_plain(text, out, scratch);
    return;
  }
  added_->split(text, scratch.fragments);
  for (const AddedTokenMatcher::Fragment &f : scratch.fragments) {
    if (f.token >= 0)
      out.push_back(f.token);
    else
      encode_plain(f.text, out, scratch);
  }
}

void Tokenizer::encode_plain(std::string_view text, std::vector<int32_t> &out, Scratch &scratch) const {
  struct Context {
    const Tokenizer *self;
    std::vector<int32_t> *out;
    Scratch *scratch;
  } ctx{this, &out, &scratch};
  splitter_->for_each_piece(
      text,
      [](void *p, std::string_view piece) {
        auto *c = static_cast<Context *>(p);
        c->self->encode_piece(piece, *c->out, *c->scratch);
      },
      &ctx);
}

void Tokenizer::encode_piece(std::string_view piece, std::vector<int32_t> &out, Scratch &scratch) const {
  if (piece.size() == 1 || !WordCache::cacheable(piece)) {
    bpe_->encode_word(piece, out, scratch.bpe);
    return;
  }
  uint64_t hash = WordCache::hash_of(piece);
  if (cache_->lookup(piece, hash, out)) return;
  size_t before = out.size();
  bpe_->encode_word(piece, out, scratch.bpe);
  cache_->store(piece, hash, out.data() + before, out.data() + out.size());
}

void Tokenizer::check_id(int32_t id, size_t position) const {
  if (id >= 0 && id < n_vocab()) return;
  std::string at = position == kNoPosition ? "" : " at position " + std::to_string(position);
  fail(DSV4_ERR_TOKEN_OUT_OF_RANGE,
       "token id " + std::to_string(id) + at + " is outside the vocabulary [0, " + std::to_string(n_vocab()) + ")");
}

std::string Tokenizer::decode(std::span<const int32_t> ids, bool skip_special) const {
  size_t total = 0;
  for (size_t i = 0; i < ids.size(); ++i) {
    check_id(ids[i], i);
    total += piece_offsets_[ids[i] + 1] - piece_offsets_[ids[i]];
  }
  std::string out;
  out.reserve(total);
  for (int32_t id : ids) {
    if (skip_special && is_special(types_[id])) continue;
    out += token_to_piece(id);
  }
  return out;
}

std::string_view Tokenizer::token_to_piece(int32_t id) const {
  check_id(id, kNoPosition);
  return std::string_view(piece_bytes_).substr(piece_offsets_[id], piece_offsets_[id + 1] - piece_offsets_[id]);
}

const std::string &Tokenizer::token_text(int32_t id) const {
  check_id(id, kNoPosition);
  return tokens_[id];
}

TokenType Tokenizer::token_type(int32_t id) const {
  check_id(id, kNoPosition);
  return types_[id];
}

std::optional<int32_t> Tokenizer::find_token(std::string_view text) const {
  auto it = ids_by_text_.find(text);
  if (it == ids_by_text_.end()) return std::nullopt;
  return it->second;
}

}  // namespace dsv4
