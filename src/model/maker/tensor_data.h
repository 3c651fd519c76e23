// Draws a planned tensor's values and streams them, converted to its type, into a GGUF writer.
// Rows are generated in parallel, but every row (or, for attn_k_b, every head) draws from its
// own stream seeded by (seed, tensor name, index), so the bytes never depend on the thread
// count. Memory stays bounded: one chunk of at most 32 MiB of output at a time.
// Internal to src/model/maker.
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

#include "model/maker/tensor_plan.h"

namespace dsv4 {
class ThreadPool;
namespace gguf {
class Writer;
}
}  // namespace dsv4

namespace dsv4::maker {

// Bytes of the tensor's data in its type.
uint64_t tensor_bytes(const TensorPlan &t);

// The float values of rows [row_begin, row_end) of a float-valued tensor (not kDistinctIds),
// before conversion to its type; for tests. For attn_k_b the range must cover whole heads.
std::vector<float> tensor_values(const TensorPlan &t, uint64_t seed, int64_t row_begin, int64_t row_end);

// Writes t (begin_tensor … end_tensor). after_chunk(bytes) is called on the calling thread after
// each piece is handed to the writer; it may throw to stop. pool may be null (one thread).
void write_tensor_data(gguf::Writer &w, const TensorPlan &t, uint64_t seed, ThreadPool *pool,
                       const std::function<void(uint64_t)> &after_chunk);

}  // namespace dsv4::maker
