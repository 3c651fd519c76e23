// The ggml tensor type table (../shared/spec/ggml-formats.md §1): every id known by name and
// block geometry, whether or not the runtime can compute with it.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace dsv4 {

enum GgmlType : uint32_t {
  GGML_F32 = 0, GGML_F16 = 1, GGML_Q4_0 = 2, GGML_Q4_1 = 3, GGML_Q5_0 = 6, GGML_Q5_1 = 7,
  GGML_Q8_0 = 8, GGML_Q8_1 = 9, GGML_Q2_K = 10, GGML_Q3_K = 11, GGML_Q4_K = 12, GGML_Q5_K = 13,
  GGML_Q6_K = 14, GGML_Q8_K = 15, GGML_IQ2_XXS = 16, GGML_IQ2_XS = 17, GGML_IQ3_XXS = 18,
  GGML_IQ1_S = 19, GGML_IQ4_NL = 20, GGML_IQ3_S = 21, GGML_IQ2_S = 22, GGML_IQ4_XS = 23,
  GGML_I8 = 24, GGML_I16 = 25, GGML_I32 = 26, GGML_I64 = 27, GGML_F64 = 28, GGML_IQ1_M = 29,
  GGML_BF16 = 30, GGML_TQ1_0 = 34, GGML_TQ2_0 = 35, GGML_MXFP4 = 39, GGML_NVFP4 = 40,
  GGML_Q1_0 = 41, GGML_Q2_0 = 42,
  GGML_TYPE_COUNT = 43,
};

enum class TypeSupport : uint8_t {
  kCompute,  // the runtime loads and computes with it
  kReject,   // a real type: sized and skipped, but a model using it is UNSUPPORTED
  kRemoved,  // an id ggml no longer defines: a tensor of it makes the file malformed
};

struct TypeInfo {
  uint32_t id;
  const char *name;     // lowercase ggml name: "f32", "q4_k", "mxfp4"; "removed_4" for removed ids
  uint32_t block_size;  // elements per block; 0 for removed ids
  uint32_t type_size;   // bytes per block; 0 for removed ids
  TypeSupport support;
};

// nullptr when id >= GGML_TYPE_COUNT.
const TypeInfo *type_info(uint32_t id);

// Lowercase name -> id; nullopt when unknown or removed.
std::optional<uint32_t> type_from_name(std::string_view name);

// Bytes of one row of n elements; caller has checked n % block_size == 0.
inline uint64_t row_bytes(const TypeInfo &t, uint64_t n) { return n / t.block_size * t.type_size; }

}  // namespace dsv4
