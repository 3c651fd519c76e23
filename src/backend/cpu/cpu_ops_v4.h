// The CPU backend's DeepSeek V4 ops (deepseek-v4.md §3–§4) as free functions; CpuBackend
// forwards its V4 virtuals here. Same contract as cpu_backend.cpp: each output element is
// computed by one thread in a fixed order, so results never depend on the thread count.
#pragma once

#include <cstdint>

#include "backend/backend.h"

namespace dsv4::cpu_v4 {

void hc_pre(const HcParams &p, ConstRows streams, Rows y, float *post, float *comb, ThreadPool *pool);
void hc_head(const HcParams &p, ConstRows streams, Rows y, ThreadPool *pool);
void hc_mix_weights(const HcParams &p, ConstRows mixes, float *pre, float *post, float *comb);
void hc_collapse(ConstRows streams, const float *pre, int64_t n_stream, int64_t n_embd, Rows y);
void hc_post(ConstRows f, ConstRows resid, const float *post, const float *comb, int64_t n_stream, int64_t n_embd,
             Rows out);
void compress_pool(int64_t ratio, int64_t dim, const float *kv, const float *score, float *out);
void sparse_attention(const SparseAttnParams &p, ThreadPool *pool);
void softmax_with_sink(Rows x, int64_t n, float scale, const float *sinks);
void indexer_topk(const IndexerParams &p, ThreadPool *pool);
void select_topk(ConstRows scores, const int64_t *n_visible, int64_t top_k, int32_t *picks);
void swiglu_clamped(ConstRows gate, ConstRows up, int64_t n, float limit, Rows y);
void hadamard(Rows x, int64_t n_heads, int64_t head_dim);

}  // namespace dsv4::cpu_v4
