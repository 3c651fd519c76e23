// C ABI: model load/free, introspection and metadata.
#include <climits>
#include <string>

#include "api_internal.h"
#include "format/gguf.h"
#include "model/arch/arch.h"
#include "runtime/model.h"
#include "tokenizer/tokenizer.h"

using dsv4::capi::guard;
using dsv4::capi::require;

namespace {

const dsv4::gguf::Value &meta_value(const dsv4_model *model, const char *key) {
  require(model != nullptr, "model is NULL");
  require(key != nullptr, "key is NULL");
  const dsv4::gguf::Value *v = model->impl->file().find(key);
  if (!v) dsv4::fail(DSV4_ERR_NOT_FOUND, std::string("metadata key '") + key + "' not found");
  return *v;
}

bool is_integer(dsv4::gguf::ValueType t) {
  using VT = dsv4::gguf::ValueType;
  return t == VT::U8 || t == VT::I8 || t == VT::U16 || t == VT::I16 || t == VT::U32 || t == VT::I32 ||
         t == VT::U64 || t == VT::I64 || t == VT::BOOL;
}

int64_t checked_int(dsv4::gguf::ValueType t, int64_t raw, const char *key) {
  if (t == dsv4::gguf::ValueType::U64 && raw < 0)
    dsv4::fail(DSV4_ERR_FORMAT, std::string("metadata key '") + key + "' holds a u64 above INT64_MAX");
  return raw;
}

[[noreturn]] void wrong_type(const char *key, dsv4::gguf::ValueType t, const char *wanted) {
  dsv4::fail(DSV4_ERR_INVALID_ARGUMENT, std::string("metadata key '") + key + "' is " +
                                            dsv4::gguf::value_type_name(t) + ", not " + wanted);
}

const dsv4::gguf::Value &array_value(const dsv4_model *model, const char *key, uint64_t index) {
  const dsv4::gguf::Value &v = meta_value(model, key);
  if (v.type != dsv4::gguf::ValueType::ARRAY) wrong_type(key, v.type, "an array");
  if (index >= v.array_size())
    dsv4::fail(DSV4_ERR_INVALID_ARGUMENT, std::string("index ") + std::to_string(index) + " is past the end of '" +
                                              key + "' (" + std::to_string(v.array_size()) + " elements)");
  return v;
}

}  // namespace

extern "C" {

dsv4_model_params dsv4_model_params_default(void) {
  dsv4_model_params p{};
  p.struct_size = sizeof(dsv4_model_params);
  p.use_mmap = 1;
  p.vocab_only = 0;
  p.repack = DSV4_REPACK_AUTO;
  p.memory_limit_bytes = 0;
  p.progress = nullptr;
  p.progress_user = nullptr;
  return p;
}

static_assert(static_cast<uint32_t>(dsv4::RepackMode::kAuto) == DSV4_REPACK_AUTO &&
                  static_cast<uint32_t>(dsv4::RepackMode::kOff) == DSV4_REPACK_OFF &&
                  static_cast<uint32_t>(dsv4::RepackMode::kOn) == DSV4_REPACK_ON,
              "dsv4_model_params.repack is passed to ModelLoadOptions::repack unchanged");

dsv4_status dsv4_model_load(const char *path, const dsv4_model_params *params, dsv4_model **out) {
  if (out) *out = nullptr;
  return guard([&] {
    require(path != nullptr, "path is NULL");
    require(out != nullptr, "out is NULL");
    const dsv4_model_params p = dsv4::capi::read_params(params, dsv4_model_params_default(), "dsv4_model_params");
    require(p.repack <= DSV4_REPACK_ON, "dsv4_model_params.repack must be DSV4_REPACK_AUTO, _OFF or _ON");
    dsv4::ModelLoadOptions o;
    o.repack = static_cast<dsv4::RepackMode>(p.repack);
    o.use_mmap = p.use_mmap != 0;
    o.vocab_only = p.vocab_only != 0;
    o.memory_limit = p.memory_limit_bytes;
    if (p.progress) {
      dsv4_progress_fn fn = p.progress;
      void *user = p.progress_user;
      o.progress = [fn, user](float f) { return fn(f, user) == 0; };
    }
    auto handle = std::make_unique<dsv4_model>();
    handle->impl = dsv4::Model::load(path, o);
    *out = handle.release();
  });
}

dsv4_status dsv4_model_free(dsv4_model *model) {
  return guard([&] {
    if (!model) return;
    const int64_t live = model->impl->live_sessions.load();
    if (live > 0)
      dsv4::fail(DSV4_ERR_BUSY, "model has " + std::to_string(live) + " live session(s) or streaming detokenizer(s); free them first");
    delete model;
  });
}

dsv4_status dsv4_model_get_info(const dsv4_model *model, dsv4_model_info *info) {
  return guard([&] {
    require(model != nullptr, "model is NULL");
    require(info != nullptr, "info is NULL");
    require(info->struct_size >= sizeof(uint32_t) && info->struct_size <= sizeof(dsv4_model_info),
            "dsv4_model_info.struct_size must be set to sizeof(dsv4_model_info)");
    const dsv4::Model &m = *model->impl;
    dsv4_model_info full{};
    full.struct_size = info->struct_size;
    full.vocab_only = m.vocab_only() ? 1 : 0;
    full.architecture = m.architecture().c_str();
    full.name = m.name().c_str();
    full.n_vocab = m.arch() ? m.arch()->n_vocab() : (m.tokenizer() ? m.tokenizer()->n_vocab() : 0);
    full.n_layer = m.arch() ? m.arch()->n_layer() : 0;
    full.n_embd = m.arch() ? m.arch()->n_embd() : 0;
    full.n_ctx_train = m.arch() ? m.arch()->n_ctx_train() : 0;
    full.n_params = m.n_params();
    full.n_bytes = m.n_bytes();
    std::memcpy(info, &full, info->struct_size);
  });
}

dsv4_status dsv4_model_meta_count(const dsv4_model *model, uint64_t *count) {
  return guard([&] {
    require(model != nullptr, "model is NULL");
    require(count != nullptr, "count is NULL");
    *count = model->impl->file().metadata().size();
  });
}

dsv4_status dsv4_model_meta_key(const dsv4_model *model, uint64_t index, char *buf, size_t cap,
                                size_t *n_required) {
  return guard([&] {
    require(model != nullptr, "model is NULL");
    const auto &md = model->impl->file().metadata();
    if (index >= md.size())
      dsv4::fail(DSV4_ERR_INVALID_ARGUMENT, "key index " + std::to_string(index) + " is past the end (" +
                                                std::to_string(md.size()) + " keys)");
    dsv4::capi::write_string(md[index].key, buf, cap, n_required);
  });
}

dsv4_status dsv4_model_meta_type(const dsv4_model *model, const char *key, int32_t *type, int32_t *elem_type,
                                 uint64_t *count) {
  return guard([&] {
    const dsv4::gguf::Value &v = meta_value(model, key);
    if (type) *type = static_cast<int32_t>(v.type);
    const bool arr = v.type == dsv4::gguf::ValueType::ARRAY;
    if (elem_type) *elem_type = arr ? static_cast<int32_t>(v.elem) : -1;
    if (count) *count = arr ? v.array_size() : 1;
  });
}

dsv4_status dsv4_model_meta_int(const dsv4_model *model, const char *key, int64_t *out) {
  return guard([&] {
    require(out != nullptr, "out is NULL");
    const dsv4::gguf::Value &v = meta_value(model, key);
    if (!is_integer(v.type)) wrong_type(key, v.type, "an integer");
    *out = checked_int(v.type, v.i, key);
  });
}

dsv4_status dsv4_model_meta_float(const dsv4_model *model, const char *key, double *out) {
  return guard([&] {
    require(out != nullptr, "out is NULL");
    const dsv4::gguf::Value &v = meta_value(model, key);
    if (v.type != dsv4::gguf::ValueType::F32 && v.type != dsv4::gguf::ValueType::F64) wrong_type(key, v.type, "a float");
    *out = v.f;
  });
}

dsv4_status dsv4_model_meta_string(const dsv4_model *model, const char *key, char *buf, size_t cap,
                                   size_t *n_required) {
  return guard([&] {
    const dsv4::gguf::Value &v = meta_value(model, key);
    if (v.type != dsv4::gguf::ValueType::STRING) wrong_type(key, v.type, "a string");
    dsv4::capi::write_string(v.s, buf, cap, n_required);
  });
}

dsv4_status dsv4_model_meta_array_int(const dsv4_model *model, const char *key, uint64_t index, int64_t *out) {
  return guard([&] {
    require(out != nullptr, "out is NULL");
    const dsv4::gguf::Value &v = array_value(model, key, index);
    if (!is_integer(v.elem)) wrong_type(key, v.elem, "an integer array");
    *out = checked_int(v.elem, v.ints[index], key);
  });
}

dsv4_status dsv4_model_meta_array_float(const dsv4_model *model, const char *key, uint64_t index, double *out) {
  return guard([&] {
    require(out != nullptr, "out is NULL");
    const dsv4::gguf::Value &v = array_value(model, key, index);
    if (v.elem != dsv4::gguf::ValueType::F32 && v.elem != dsv4::gguf::ValueType::F64)
      wrong_type(key, v.elem, "a float array");
    *out = v.floats[index];
  });
}

dsv4_status dsv4_model_meta_array_string(const dsv4_model *model, const char *key, uint64_t index, char *buf,
                                         size_t cap, size_t *n_required) {
  return guard([&] {
    const dsv4::gguf::Value &v = array_value(model, key, index);
    if (v.elem != dsv4::gguf::ValueType::STRING) wrong_type(key, v.elem, "a string array");
    dsv4::capi::write_string(v.strings[index], buf, cap, n_required);
  });
}

}  // extern "C"
