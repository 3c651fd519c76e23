// Scalar int8-path reference for the K-quants with Q8_K activations (ggml-formats.md §4.3): per
// 256-element block exact integers, then in f32, block after block:
//   Q2_K Q4_K Q5_K:  sum += (d_a·d_w)·Σ_s sc_s·Σ_{j∈s} q_j·a_j − (d_a·dmin_w)·Σ_s m_s·bsum_s
//   Q3_K Q6_K:       sum += (d_a·d_w)·Σ_s S_s·Σ_{j∈s} c_j·a_j   (signed codes c)
#include "backend/cpu/act_layout.h"
#include "backend/cpu/kernels_family.h"
#include "format/ggml_type.h"
#include "quant/quant_blocks.h"

namespace dsv4::cpu::family {
namespace {

using quant_detail::load_fp16;

// Unsigned or signed weight codes of one 256-element block in element order, the sub-block
// scales (and mins), per the layouts of ggml-formats.md §2.8–2.13.
struct KBlock {
  int code[256];
  int scale[16];  // per sub-block (16 of 16 elements, or 8 of 32)
  int min[16];
  int sub = 16;   // elements per sub-block
  float d = 0, dmin = 0;
};

void decode_q2_k(const uint8_t *b, KBlock &k) {
  for (int i = 0; i < 256; ++i) {
    const int n = i / 128, j = (i % 128) / 32, l = i % 32;
    k.code[i] = (b[16 + 32 * n + l] >> (2 * j)) & 3;
  }
  for (int s = 0; s < 16; ++s) {
    k.scale[s] = b[s] & 15;
    k.min[s] = b[s] >> 4;
  }
  k.d = load_fp16(b + 80);
  k.dmin = load_fp16(b + 82);
}

void decode_q3_k(const uint8_t *b, KBlock &k) {
  const uint8_t *hm = b, *qs = b + 32, *sc = b + 96;
  for (int i = 0; i < 256; ++i) {
    const int n = i / 128, j = (i % 128) / 32, l = i % 32;
    const int q2 = (qs[32 * n + l] >> (2 * j)) & 3;
    const int hb = (hm[l] >> (i / 32)) & 1;
    k.code[i] = q2 + 4 * hb - 4;
  }
  for (int s = 0; s < 16; ++s) {
    const int low = s < 8 ? (sc[s] & 15) : (sc[s - 8] >> 4);
    const int high = (sc[8 + s % 4] >> (2 * (s / 4))) & 3;
    k.scale[s] = (low | (high << 4)) - 32;
    k.min[s] = 0;
  }
  k.d = load_fp16(b + 108);
}

void decode_q45_k(const uint8_t *b, const uint8_t *qh, const uint8_t *qs, KBlock &k) {
  for (int i = 0; i < 256; ++i) {
    const int c = i / 64, l = i % 32;
    int q = (i % 64) < 32 ? (qs[32 * c + l] & 15) : (qs[32 * c + l] >> 4);
    if (qh) q |= ((qh[l] >> (i / 32)) & 1) << 4;
    k.code[i] = q;
  }
  uint8_t sc[8], mn[8];
  quant_detail::unpack_scale_min_k4(b + 4, sc, mn);
  for (int s = 0; s < 8; ++s) {
    k.scale[s] = sc[s];
    k.min[s] = mn[s];
  }
  k.sub = 32;
  k.d = load_fp16(b);
  k.dmin = load_fp16(b + 2);
}

void decode_q6_k(const uint8_t *b, KBlock &k) {
  const uint8_t *ql = b, *qh = b + 128;
  for (int i = 0; i < 256; ++i) {
    const int n = i / 128, r = i % 128, kk = r / 32, l = r % 32;
    const uint8_t lb = ql[64 * n + 32 * (kk % 2) + l];
    const int low = kk < 2 ? (lb & 15) : (lb >> 4);
    const int high = (qh[32 * n + l] >> (2 * kk)) & 3;
    k.code[i] = (low | (high << 4)) - 32;
  }
  for (int s = 0; s < 16; ++s) {
    k.scale[s] = static_cast<int8_t>(b[192 + s]);
    k.min[s] = 0;
  }
  k.d = load_fp16(b + 208);
}

template <uint32_t T>
float dot(const void *wrow, const void *xq, int64_t n) {
  const auto *w = static_cast<const uint8_t *>(wrow);
  const int8_t *qa = act::qs(xq);
  const float *da = act::kd(xq, n);
  const int16_t *bsums = act::kbsums(xq, n);
  float sum = 0.0f;
  KBlock k;
  for (int64_t b = 0; b < n / 256; ++b) {
    const int8_t *a = qa + 256 * b;
    const int16_t *bs = bsums + 16 * b;
    if constexpr (T == GGML_Q2_K) decode_q2_k(w + b * quant_detail::kQ2_KBytes, k);
    else if constexpr (T == GGML_Q3_K) decode_q3_k(w + b * quant_detail::kQ3_KBytes, k);
    else if constexpr (T == GGML_Q4_K) {
      const uint8_t *blk = w + b * quant_detail::kQ4_KBytes;
      decode_q45_k(blk, nullptr, blk + 16, k);
    } else if constexpr (T == GGML_Q5_K) {
      const uint8_t *blk = w + b * quant_detail::kQ5_KBytes;
      decode_q45_k(blk, blk + 16, blk + 48, k);
    } else decode_q6_k(w + b * quant_detail::kQ6_KBytes, k);

    int isum = 0, msum = 0;
    for (int s = 0; s < 256 / k.sub; ++s) {
      int si = 0;
      for (int j = 0; j < k.sub; ++j) si += k.code[s * k.sub + j] * a[s * k.sub + j];
      isum += k.scale[s] * si;
      const int bsum = k.sub == 16 ? bs[s] : bs[2 * s] + bs[2 * s + 1];
      msum += k.min[s] * bsum;
    }
    if constexpr (T == GGML_Q3_K || T == GGML_Q6_K) {
      sum += (da[b] * k.d) * static_cast<float>(isum);
    } else {
      sum += (da[b] * k.d) * static_cast<float>(isum) - (da[b] * k.dmin) * static_cast<float>(msum);
    }
  }
  return sum;
}

template <uint32_t T>
void dot_xn(const void *wrow, const void *const *xq, int64_t nt, int64_t n, float *out) {
  for (int64_t t = 0; t < nt; ++t) out[t] = dot<T>(wrow, xq[t], n);
}

template <uint32_t T>
void set(Slots &s) {
  s.dot_q8 = dot<T>;
  s.dot_q8_xN = dot_xn<T>;
}

}  // namespace

void scalar_q8k(uint32_t type, Slots &s) {
  switch (type) {
    case GGML_Q2_K: set<GGML_Q2_K>(s); break;
    case GGML_Q3_K: set<GGML_Q3_K>(s); break;
    case GGML_Q4_K: set<GGML_Q4_K>(s); break;
    case GGML_Q5_K: set<GGML_Q5_K>(s); break;
    case GGML_Q6_K: set<GGML_Q6_K>(s); break;
    default: break;
  }
}

}  // namespace dsv4::cpu::family
