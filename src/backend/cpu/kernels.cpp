// Kernel tables: merges the families of the kernel files into one table per ISA, once; and the
// activation rounding of the int8 path (SIMD codes from act_quant_*.cpp, or quant.h's scalar
// quantizers; every family writes the same bytes), arranged in the layouts of kernels.h.
#include "backend/cpu/kernels.h"

#include <algorithm>
#include <cstring>

#include "backend/cpu/act_layout.h"
#include "backend/cpu/kernels_family.h"
#include "format/ggml_type.h"
#include "quant/float_conv.h"
#include "quant/quant.h"

namespace dsv4::cpu {
namespace {

constexpr uint32_t kTypes[] = {GGML_F32,  GGML_F16,  GGML_BF16, GGML_Q4_0, GGML_Q4_1, GGML_Q5_0, GGML_Q5_1,
                               GGML_Q8_0, GGML_MXFP4, GGML_Q2_K, GGML_Q3_K, GGML_Q4_K, GGML_Q5_K, GGML_Q6_K};

using FillFn = void (*)(uint32_t, family::Slots &);

family::Slots family_slots(Isa isa, uint32_t type) {
  family::Slots s;
  static const FillFn scalar[] = {family::scalar_f32, family::scalar_q8, family::scalar_q8k};
  static const FillFn avx2[] = {family::avx2_f32, family::avx2_f32k, family::avx2_q8, family::avx2_q8k};
  static const FillFn avx512[] = {family::avx512_f32, family::avx512_f32k, family::avx512_q8, family::avx512_q8k};
  if (isa == Isa::kScalar)
    for (FillFn f : scalar) f(type, s);
  else if (isa == Isa::kAvx2)
    for (FillFn f : avx2) f(type, s);
  else if (isa == Isa::kAvx512)
    for (FillFn f : avx512) f(type, s);
  return s;
}

struct Tables {
  TypeKernels k[3][GGML_TYPE_COUNT];
  bool present[GGML_TYPE_COUNT] = {};
  Tables() {
    for (uint32_t type : kTypes) {
      present[type] = true;
      for (int level = 0; level < 3; ++level) {
        TypeKernels &e = k[level][type];
        e.type = type;
        e.act = act_format_for(type);
        // Each slot from the highest family at or below `level` that has it.
        for (int from = level; from >= 0; --from) {
          const family::Slots s = family_slots(static_cast<Isa>(from), type);
          if (!e.dot_f32 && s.dot_f32 && s.dot_f32_xN) {
            e.dot_f32 = s.dot_f32;
            e.dot_f32_xN = s.dot_f32_xN;
            e.isa_f32 = static_cast<Isa>(from);
          }
          if (e.act != ActFormat::kF32 && !e.dot_q8 && s.dot_q8 && s.dot_q8_xN) {
            e.dot_q8 = s.dot_q8;
            e.dot_q8_xN = s.dot_q8_xN;
            e.isa_q8 = static_cast<Isa>(from);
          }
        }
        if (e.act == ActFormat::kF32) e.isa_q8 = e.isa_f32;
      }
    }
  }
};

const Tables &tables() {
  static const Tables t;
  return t;
}

}  // namespace

ActFormat act_format_for(uint32_t type) {
  switch (type) {
    case GGML_Q4_0: case GGML_Q5_0: case GGML_Q8_0: case GGML_MXFP4: return ActFormat::kQ8_0;
    case GGML_Q4_1: case GGML_Q5_1: return ActFormat::kQ8_1;
    case GGML_Q2_K: case GGML_Q3_K: case GGML_Q4_K: case GGML_Q5_K: case GGML_Q6_K: return ActFormat::kQ8_K;
    default: return ActFormat::kF32;
  }
}

const TypeKernels *type_kernels(uint32_t type, Isa isa) {
  if (type >= GGML_TYPE_COUNT) return nullptr;
  if (isa == Isa::kAuto) isa = resolve_isa(Isa::kAuto);
  if (!cpu_features().has(isa)) isa = Isa::kScalar;
  const Tables &t = tables();
  if (!t.present[type]) return nullptr;
  return &t.k[static_cast<int>(isa)][type];
}

int64_t act_block(ActFormat f) {
  switch (f) {
    case ActFormat::kQ8_0: case ActFormat::kQ8_1: return 32;
    case ActFormat::kQ8_K: return 256;
    default: return 1;
  }
}

const char *act_name(ActFormat f) {
  switch (f) {
    case ActFormat::kQ8_0: return "q8_0";
    case ActFormat::kQ8_1: return "q8_1";
    case ActFormat::kQ8_K: return "q8_k";
    default: return "f32";
  }
}

size_t act_bytes(ActFormat f, int64_t n) {
  int64_t used;
  switch (f) {
    case ActFormat::kQ8_0: used = act::used_bytes_q8_0(n); break;
    case ActFormat::kQ8_1: used = act::used_bytes_q8_1(n); break;
    case ActFormat::kQ8_K: used = act::used_bytes_q8_k(n); break;
    default: used = 4 * n; break;
  }
  // 64 bytes of zeros after the data: SIMD kernels may read (and multiply by zero) a little past it.
  return static_cast<size_t>((used + 64 + 63) / 64 * 64);
}

namespace {

const family::ActQuant *simd_act_quant(Isa isa) {
  static const family::ActQuant avx2 = [] {
    family::ActQuant a;
    family::avx2_act(a);
    return a;
  }();
  static const family::ActQuant avx512 = [] {
    family::ActQuant a;
    family::avx512_act(a);
    return a;
  }();
  if (isa == Isa::kAuto) isa = resolve_isa(Isa::kAuto);
  if (!cpu_features().has(isa)) return nullptr;
  if (isa == Isa::kAvx512) return &avx512;
  if (isa == Isa::kAvx2) return &avx2;
  return nullptr;
}

}  // namespace

void quantize_act(ActFormat f, const float *x, void *dst, int64_t n, Isa isa) {
  auto *out = static_cast<uint8_t *>(dst);
  const size_t total = act_bytes(f, n);
  const family::ActQuant *simd = simd_act_quant(isa);
  if (simd && (f == ActFormat::kQ8_0 || f == ActFormat::kQ8_1)) {
    std::memset(out, 0, total);  // padding blocks: zero codes and scales
    auto *dl = const_cast<float *>(act::dl(out, n));
    float *s = f == ActFormat::kQ8_1 ? const_cast<float *>(act::s(out, n)) : nullptr;
    // The SIMD code leaves the unrounded scale of block b in dl[4b] (and Σ codes in s[b]); the
    // fp16 roundings are done here with the same conversions as quant.h.
    simd->q8_0(x, n, reinterpret_cast<int8_t *>(out), dl, s);
    for (int64_t b = n / 32 - 1; b >= 0; --b) {
      const float d = dl[b];
      if (s) s[b] = fp16_to_f32(f32_to_fp16(d * s[b]));
      std::fill(dl + 4 * b, dl + 4 * b + 4, fp16_to_f32(f32_to_fp16(d)));
    }
    return;
  }
  if (simd && f == ActFormat::kQ8_K) {
    simd->q8_k(x, n, reinterpret_cast<int8_t *>(out), const_cast<float *>(act::kd(out, n)),
               const_cast<int16_t *>(act::kbsums(out, n)));
    const int64_t used = act::used_bytes_q8_k(n);
    std::memset(out + used, 0, total - static_cast<size_t>(used));
    return;
  }
  switch (f) {
    case ActFormat::kQ8_0:
    case ActFormat::kQ8_1: {
      std::memset(out, 0, total);  // padding blocks: zero codes and scales
      auto *qs = reinterpret_cast<int8_t *>(out);
      auto *dl = const_cast<float *>(act::dl(out, n));
      auto *s = f == ActFormat::kQ8_1 ? const_cast<float *>(act::s(out, n)) : nullptr;
      for (int64_t b = 0; b < n / 32; ++b) {
        float d;
        const int8_t *codes;
        BlockQ8_0 b0;
        BlockQ8_1 b1;
        if (f == ActFormat::kQ8_0) {
          quantize_row_q8_0_act(x + 32 * b, &b0, 32);
          d = fp16_to_f32(b0.d);
          codes = b0.qs;
        } else {
          quantize_row_q8_1_act(x + 32 * b, &b1, 32);
          d = fp16_to_f32(b1.d);
          s[b] = fp16_to_f32(b1.s);
          codes = b1.qs;
        }
        std::memcpy(qs + act::q8_0_pos(b, 0), codes, 16);
        std::memcpy(qs + act::q8_0_pos(b, 16), codes + 16, 16);
        std::fill(dl + 4 * b, dl + 4 * b + 4, d);
      }
      break;
    }
    case ActFormat::kQ8_K: {
      auto *qs = reinterpret_cast<int8_t *>(out);
      auto *d = reinterpret_cast<float *>(out + n);
      auto *bs = reinterpret_cast<int16_t *>(out + n + n / 64);
      for (int64_t b = 0; b < n / 256; ++b) {
        BlockQ8_K blk;
        quantize_row_q8_k_act(x + 256 * b, &blk, 256);
        std::memcpy(qs + 256 * b, blk.qs, 256);
        d[b] = blk.d;
        std::memcpy(bs + 16 * b, blk.bsums, sizeof blk.bsums);
      }
      const int64_t used = act::used_bytes_q8_k(n);
      std::memset(out + used, 0, total - static_cast<size_t>(used));
      break;
    }
    default:
      std::memcpy(out, x, static_cast<size_t>(n) * 4);
      std::memset(out + 4 * n, 0, total - static_cast<size_t>(4 * n));
      break;
  }
}

}  // namespace dsv4::cpu
