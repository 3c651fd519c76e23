// Internal: addresses inside one activation row of the int8 path (layouts in kernels.h). Only
// static functions, because kernel files compiled with different -m flags include it.
#pragma once

#include <cstdint>

namespace dsv4::cpu::act {

// kQ8_0 / kQ8_1: rows are padded to whole groups of four 32-element blocks (128 elements).
static inline int64_t padded(int64_t n) { return (n + 127) / 128 * 128; }
// Byte offset of element e (0..31) of block b inside qs: group g = b/4 holds the first halves
// (elements 0..15) of its four blocks, then their second halves.
static inline int64_t q8_0_pos(int64_t b, int e) {
  return 128 * (b / 4) + (e < 16 ? 16 * (b % 4) + e : 64 + 16 * (b % 4) + (e - 16));
}
static inline const int8_t *qs(const void *xq) { return static_cast<const int8_t *>(xq); }
// Block b's scale at dl[4b .. 4b+3].
static inline const float *dl(const void *xq, int64_t n) {
  return reinterpret_cast<const float *>(static_cast<const uint8_t *>(xq) + padded(n));
}
// kQ8_1: block b's s at s[b].
static inline const float *s(const void *xq, int64_t n) {
  return reinterpret_cast<const float *>(static_cast<const uint8_t *>(xq) + padded(n) + padded(n) / 2);
}
// kQ8_K
static inline const float *kd(const void *xq, int64_t n) {
  return reinterpret_cast<const float *>(static_cast<const uint8_t *>(xq) + n);
}
static inline const int16_t *kbsums(const void *xq, int64_t n) {
  return reinterpret_cast<const int16_t *>(static_cast<const uint8_t *>(xq) + n + n / 64);
}

// Bytes used before padding.
static inline int64_t used_bytes_q8_0(int64_t n) { return padded(n) + padded(n) / 2; }
static inline int64_t used_bytes_q8_1(int64_t n) { return padded(n) + padded(n) / 2 + padded(n) / 8; }
static inline int64_t used_bytes_q8_k(int64_t n) { return n + n / 64 + n / 8; }

}  // namespace dsv4::cpu::act
