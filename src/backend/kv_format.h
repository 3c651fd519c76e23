// Row codecs of DeepSeek V4's caches (KvFormat in backend.h): f32, bf16 and the packed layouts
// of deepseek-v4.md §5.2 — FP8 rows (e4m3 with one UE8M0 scale per 64 leading dims, rotary dims
// in bf16) and FP4 index keys (e2m1 with one UE8M0 scale per 32). Encoding then decoding a row
// equals the fake quantisation of §3.5 / §3.6 (fake_quant_fp8_row / fake_quant_fp4_row), so a
// packed cache holds exactly what DeepSeek's numerics would keep.
#pragma once

#include <cstdint>

#include "backend/backend.h"

namespace dsv4 {

// Block of the FP8 KV rounding (§3.5): 64 dims; a shorter last block is a block of its own.
constexpr int64_t kKvFp8Block = 64;

// Bytes of one row. kFP4 needs dim % 32 == 0.
uint64_t kv_row_bytes(KvFormat f, int64_t dim, int64_t n_quant);

void kv_encode_row(KvFormat f, int64_t dim, int64_t n_quant, const float *src, uint8_t *dst);
void kv_decode_row(KvFormat f, int64_t dim, int64_t n_quant, const uint8_t *src, float *dst);

// Row i of the table as f32: a pointer into the table for kF32, otherwise decoded into buf
// (dim floats).
const float *kv_table_row(const KvTable &t, int64_t i, float *buf);

// x <- decode(encode(x)): what storing a row in format f does to it.
void kv_round_trip(KvFormat f, int64_t dim, int64_t n_quant, float *x);

// FP8 rounding of dims [0, n_quant) in blocks of kKvFp8Block (§3.5); the rotary dims untouched.
void kv_fake_quant_fp8(float *x, int64_t n_quant);

}  // namespace dsv4
