// Row r of a weight as f32: read in place for F32, otherwise dequantized into a per-thread
// buffer that stays valid until the thread's next call.
#pragma once

#include <cstdint>
#include <vector>

#include "backend/backend.h"
#include "format/ggml_type.h"

namespace dsv4 {

inline const float *weight_row_f32(const WeightView &w, int64_t r) {
  if (w.type == GGML_F32) return reinterpret_cast<const float *>(w.row(r));
  thread_local std::vector<float> buf;
  if (static_cast<int64_t>(buf.size()) < w.ne0) buf.resize(static_cast<size_t>(w.ne0));
  dequantize_weight_row(w, r, buf.data());
  return buf.data();
}

}  // namespace dsv4
