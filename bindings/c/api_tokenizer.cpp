// C ABI: tokenize, detokenize, token pieces, tokenizer info and the streaming detokenizer.
#include <cstdio>
#include <cstring>
#include <span>
#include <string>
#include <vector>

#include "api_internal.h"
#include "runtime/model.h"
#include "tokenizer/tokenizer.h"

using dsv4::capi::guard;
using dsv4::capi::require;

// The opaque handle behind dsv4_detokenizer*. It counts as a live dependent of the model
// (Model::live_sessions), so dsv4_model_free refuses while one exists instead of leaving it
// with a dangling tokenizer.
struct dsv4_detokenizer {
  const dsv4::Model *model;
  dsv4::StreamDecoder decoder;

  dsv4_detokenizer(const dsv4::Model *m, const dsv4::Tokenizer &tok, bool skip_special)
      : model(m), decoder(tok, skip_special) {
    model->live_sessions.fetch_add(1);
  }
  ~dsv4_detokenizer() { model->live_sessions.fetch_sub(1); }
  dsv4_detokenizer(const dsv4_detokenizer &) = delete;
  dsv4_detokenizer &operator=(const dsv4_detokenizer &) = delete;
};

namespace {

const dsv4::Tokenizer &tokenizer_of(const dsv4_model *model) {
  require(model != nullptr, "model is NULL");
  const dsv4::Tokenizer *tok = model->impl->tokenizer();
  if (!tok) dsv4::fail(DSV4_ERR_UNSUPPORTED, "the model's file has no tokenizer (no tokenizer.ggml.* keys)");
  return *tok;
}

constexpr uint32_t kTokenizeFlags = DSV4_TOKENIZE_ADD_BOS | DSV4_TOKENIZE_PARSE_SPECIAL;
constexpr uint32_t kDetokenizeFlags = DSV4_DETOKENIZE_SKIP_SPECIAL;

}  // namespace

extern "C" {

dsv4_status dsv4_tokenize(const dsv4_model *model, const char *text, size_t len, uint32_t flags, int32_t *ids,
                          size_t cap, size_t *n_required) {
  return guard([&] {
    const dsv4::Tokenizer &tok = tokenizer_of(model);
    require(text != nullptr || len == 0, "text is NULL but len is not 0");
    require(n_required != nullptr, "n_required is NULL");
    require(ids != nullptr || cap == 0, "ids is NULL but cap is not 0");
    dsv4::capi::check_flags(flags, kTokenizeFlags);
    std::vector<int32_t> out = tok.encode(std::string_view(text ? text : "", len), (flags & DSV4_TOKENIZE_ADD_BOS) != 0,
                                          (flags & DSV4_TOKENIZE_PARSE_SPECIAL) != 0);
    *n_required = out.size();
    if (out.size() > cap)
      dsv4::fail(DSV4_ERR_BUFFER_TOO_SMALL, "ids holds " + std::to_string(cap) + " tokens, " +
                                                std::to_string(out.size()) + " needed");
    if (!out.empty()) std::memcpy(ids, out.data(), out.size() * sizeof(int32_t));
  });
}

dsv4_status dsv4_detokenize(const dsv4_model *model, const int32_t *ids, size_t n_ids, uint32_t flags, char *buf,
                            size_t cap, size_t *n_required) {
  return guard([&] {
    const dsv4::Tokenizer &tok = tokenizer_of(model);
    require(ids != nullptr || n_ids == 0, "ids is NULL but n_ids is not 0");
    dsv4::capi::check_flags(flags, kDetokenizeFlags);
    std::string text = tok.decode(std::span<const int32_t>(ids, n_ids), (flags & DSV4_DETOKENIZE_SKIP_SPECIAL) != 0);
    dsv4::capi::write_string(text, buf, cap, n_required);
  });
}

dsv4_status dsv4_token_to_piece(const dsv4_model *model, int32_t token, uint32_t flags, char *buf, size_t cap,
                                size_t *n_required) {
  return guard([&] {
    const dsv4::Tokenizer &tok = tokenizer_of(model);
    dsv4::capi::check_flags(flags, kDetokenizeFlags);
    std::string text = tok.decode(std::span<const int32_t>(&token, 1), (flags & DSV4_DETOKENIZE_SKIP_SPECIAL) != 0);
    dsv4::capi::write_string(text, buf, cap, n_required);
  });
}

dsv4_status dsv4_model_get_tokenizer_info(const dsv4_model *model, dsv4_tokenizer_info *info) {
  return guard([&] {
    const dsv4::Tokenizer &tok = tokenizer_of(model);
    require(info != nullptr, "info is NULL");
    require(info->struct_size >= sizeof(uint32_t) && info->struct_size <= sizeof(dsv4_tokenizer_info),
            "dsv4_tokenizer_info.struct_size must be set to sizeof(dsv4_tokenizer_info)");
    dsv4_tokenizer_info full{};
    full.struct_size = info->struct_size;
    full.n_vocab = tok.n_vocab();
    full.bos = tok.bos_id();
    full.eos = tok.eos_id();
    full.pad = tok.pad_id();
    full.add_bos = tok.add_bos_default() ? 1 : 0;
    std::memcpy(info, &full, info->struct_size);
  });
}

dsv4_status dsv4_detokenizer_new(const dsv4_model *model, uint32_t flags, dsv4_detokenizer **out) {
  if (out) *out = nullptr;
  return guard([&] {
    const dsv4::Tokenizer &tok = tokenizer_of(model);
    require(out != nullptr, "out is NULL");
    dsv4::capi::check_flags(flags, kDetokenizeFlags);
    *out = new dsv4_detokenizer(model->impl.get(), tok, (flags & DSV4_DETOKENIZE_SKIP_SPECIAL) != 0);
  });
}

dsv4_status dsv4_detokenizer_push(dsv4_detokenizer *detok, int32_t token, char *buf, size_t cap,
                                  size_t *n_required) {
  return guard([&] {
    require(detok != nullptr, "detokenizer is NULL");
    // Work on a copy (at most 3 held bytes) and commit only once the text has been delivered,
    // so a failed call leaves the stream as it was.
    dsv4::StreamDecoder next = detok->decoder;
    std::string text = next.push(token);
    dsv4::capi::write_string(text, buf, cap, n_required);
    detok->decoder = next;
  });
}

dsv4_status dsv4_detokenizer_flush(dsv4_detokenizer *detok, char *buf, size_t cap, size_t *n_required) {
  return guard([&] {
    require(detok != nullptr, "detokenizer is NULL");
    dsv4::StreamDecoder next = detok->decoder;
    std::string text = next.flush();
    dsv4::capi::write_string(text, buf, cap, n_required);
    detok->decoder = next;
  });
}

dsv4_status dsv4_detokenizer_free(dsv4_detokenizer *detok) {
  return guard([&] { delete detok; });
}

}  // extern "C"
