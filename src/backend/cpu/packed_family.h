// Internal: how the packed-layout files hand their functions to packed.cpp. Declarations only
// (included by files compiled with different -m flags). Each layout file fills group_bytes, pack
// and unpack_row; each _avx512 file fills gemv_avx512.
#pragma once

#include <cstdint>

#include "backend/cpu/packed.h"

namespace dsv4::cpu::family {

// Decode tiles (at most kPrefetchTiles tokens) consume a packed matrix faster than the hardware
// prefetchers bring it from DRAM, so the kernels prefetch this many bytes ahead in the packed
// stream (measured with bench_kernels on Zen 5, Q4_K 4096x4096: one core 20 -> 33 GB/s, two
// cores 34 -> 44 GB/s). Longer tiles are compute-bound and need no help.
constexpr int64_t kPrefetchBytes = 16384;
constexpr int kPrefetchTiles = 2;

// packed_q4_k.cpp / packed_q4_k_avx512.cpp
void packed_q4_k(PackedLayout &l);
void avx512_packed_q4_k(PackedLayout &l);
// packed_q6_k.cpp / packed_q6_k_avx512.cpp
void packed_q6_k(PackedLayout &l);
void avx512_packed_q6_k(PackedLayout &l);
// packed_q32.cpp / packed_q32_avx512.cpp: the 32-element block types Q4_0, Q8_0, MXFP4
// (dispatch on l.type, set by packed.cpp before the call).
void packed_q32(PackedLayout &l);
void avx512_packed_q32(PackedLayout &l);

}  // namespace dsv4::cpu::family
