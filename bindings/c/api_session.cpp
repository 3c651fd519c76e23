// C ABI: sessions (evaluate, logits, truncate, cancel).
#include <string>

#include "api_internal.h"
#include "backend/cpu/cpu_features.h"
#include "runtime/model.h"
#include "runtime/session.h"

using dsv4::capi::guard;
using dsv4::capi::require;

static_assert(uint32_t{DSV4_V4_NO_SHARED_CLAMP} == dsv4::kV4NoSharedClamp && uint32_t{DSV4_V4_KV_FP8} == dsv4::kV4KvFp8 &&
                  uint32_t{DSV4_V4_INDEXER_FP4} == dsv4::kV4IndexerFp4 && uint32_t{DSV4_V4_ACT_FP8} == dsv4::kV4ActFp8,
              "the C flags are passed to StateOptions::v4_numerics unchanged");

extern "C" {

dsv4_session_params dsv4_session_params_default(void) {
  dsv4_session_params p{};
  p.struct_size = sizeof(dsv4_session_params);
  p.n_threads = 0;
  p.n_ctx = 0;
  p.cache_type = DSV4_CACHE_F32;
  p.n_batch = 0;
  p.memory_limit_bytes = 0;
  p.unfused = 0;
  p.v4_numerics = 0;
  p.snapshot_interval = 0;
  p.isa = DSV4_ISA_AUTO;
  p.activations = DSV4_ACTIVATIONS_INT8;
  return p;
}

dsv4_status dsv4_session_init(const dsv4_model *model, const dsv4_session_params *params, dsv4_session **out) {
  if (out) *out = nullptr;
  return guard([&] {
    require(model != nullptr, "model is NULL");
    require(out != nullptr, "out is NULL");
    const dsv4_session_params p =
        dsv4::capi::read_params(params, dsv4_session_params_default(), "dsv4_session_params");
    if (p.cache_type > DSV4_CACHE_FP8)
      dsv4::fail(DSV4_ERR_INVALID_ARGUMENT, "cache_type " + std::to_string(p.cache_type) + " is not a DSV4_CACHE_* value");
    // Checked before the cast to int32_t, which would turn values >= 2^31 into "all threads".
    if (p.n_threads > 1024)
      dsv4::fail(DSV4_ERR_INVALID_ARGUMENT, "n_threads " + std::to_string(p.n_threads) + " is more than 1024");
    dsv4::SessionOptions o;
    o.n_ctx = p.n_ctx;
    o.n_threads = static_cast<int32_t>(p.n_threads);
    o.cache_type = static_cast<dsv4::CacheType>(p.cache_type);
    o.memory_limit = p.memory_limit_bytes;
    o.n_batch = p.n_batch;
    if (p.unfused > 1) dsv4::fail(DSV4_ERR_INVALID_ARGUMENT, "unfused must be 0 or 1");
    if (p.v4_numerics & ~static_cast<uint32_t>(DSV4_V4_OFFICIAL))
      dsv4::fail(DSV4_ERR_INVALID_ARGUMENT, "v4_numerics " + std::to_string(p.v4_numerics) + " has bits outside DSV4_V4_OFFICIAL");
    o.unfused = p.unfused != 0;
    o.v4_numerics = p.v4_numerics;
    if (p.snapshot_interval != 0) o.snapshot_interval = p.snapshot_interval;
    if (p.isa > DSV4_ISA_AVX512)
      dsv4::fail(DSV4_ERR_INVALID_ARGUMENT, "isa " + std::to_string(p.isa) + " is not a DSV4_ISA_* value");
    if (p.activations > DSV4_ACTIVATIONS_F32)
      dsv4::fail(DSV4_ERR_INVALID_ARGUMENT,
                 "activations " + std::to_string(p.activations) + " is not a DSV4_ACTIVATIONS_* value");
    o.isa = p.isa == DSV4_ISA_AUTO ? dsv4::Isa::kAuto : static_cast<dsv4::Isa>(p.isa - 1);
    o.int8_activations = p.activations == DSV4_ACTIVATIONS_INT8;
    auto handle = std::make_unique<dsv4_session>();
    handle->impl = std::make_unique<dsv4::Session>(*model->impl, o);
    *out = handle.release();
  });
}

dsv4_status dsv4_session_free(dsv4_session *session) {
  return guard([&] { delete session; });
}

dsv4_status dsv4_session_eval(dsv4_session *session, const int32_t *tokens, size_t n, const uint8_t *output_mask) {
  return guard([&] {
    require(session != nullptr, "session is NULL");
    require(tokens != nullptr || n == 0, "tokens is NULL");
    session->impl->eval(tokens, static_cast<int64_t>(n), output_mask);
  });
}

dsv4_status dsv4_session_logits(const dsv4_session *session, float *buf, size_t cap, size_t *n_required) {
  return guard([&] {
    require(session != nullptr, "session is NULL");
    const std::vector<float> &l = session->impl->logits();
    if (n_required) *n_required = l.size();
    if (l.empty()) dsv4::fail(DSV4_ERR_INVALID_ARGUMENT, "no logits: evaluate tokens first");
    if (!buf || cap < l.size())
      dsv4::fail(DSV4_ERR_BUFFER_TOO_SMALL, "logits need " + std::to_string(l.size()) + " floats, buffer holds " +
                                                std::to_string(buf ? cap : 0));
    std::memcpy(buf, l.data(), l.size() * sizeof(float));
  });
}

dsv4_status dsv4_session_length(const dsv4_session *session, int64_t *length) {
  return guard([&] {
    require(session != nullptr, "session is NULL");
    require(length != nullptr, "length is NULL");
    *length = session->impl->length();
  });
}

dsv4_status dsv4_session_truncate(dsv4_session *session, int64_t n_keep) {
  return guard([&] {
    require(session != nullptr, "session is NULL");
    session->impl->truncate(n_keep);
  });
}

dsv4_status dsv4_session_clear(dsv4_session *session) {
  return guard([&] {
    require(session != nullptr, "session is NULL");
    session->impl->clear();
  });
}

dsv4_status dsv4_session_cancel(dsv4_session *session) {
  // No guard: it must not touch this thread's error text in a racy way, and cannot fail.
  if (!session) {
    dsv4::capi::set_error("session is NULL");
    return DSV4_ERR_INVALID_ARGUMENT;
  }
  session->impl->cancel();
  return DSV4_OK;
}

}  // extern "C"
