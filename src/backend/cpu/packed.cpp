// Registry of the packed layouts (packed.h): one table, built once; the AVX-512 kernels are
// taken only when the CPU runs that family.
#include "backend/cpu/packed.h"

#include "backend/cpu/cpu_features.h"
#include "backend/cpu/packed_family.h"
#include "format/ggml_type.h"

namespace dsv4::cpu {
namespace {

struct Registry {
  PackedLayout layouts[GGML_TYPE_COUNT];
  Registry() {
    using Fill = void (*)(PackedLayout &);
    struct Entry { uint32_t type; Fill layout, avx512; };
    const Entry entries[] = {
        {GGML_Q4_K, family::packed_q4_k, family::avx512_packed_q4_k},
        {GGML_Q6_K, family::packed_q6_k, family::avx512_packed_q6_k},
        {GGML_Q4_0, family::packed_q32, family::avx512_packed_q32},
        {GGML_Q8_0, family::packed_q32, family::avx512_packed_q32},
        {GGML_MXFP4, family::packed_q32, family::avx512_packed_q32},
    };
    const bool avx512 = cpu_features().has(Isa::kAvx512);
    for (const Entry &e : entries) {
      PackedLayout &l = layouts[e.type];
      l.type = e.type;
      e.layout(l);
      if (avx512) e.avx512(l);
    }
  }
};

}  // namespace

const PackedLayout *packed_layout(uint32_t type) {
  static const Registry r;
  if (type >= GGML_TYPE_COUNT) return nullptr;
  const PackedLayout &l = r.layouts[type];
  return l.pack && l.unpack_row && l.group_bytes ? &l : nullptr;
}

}  // namespace dsv4::cpu
