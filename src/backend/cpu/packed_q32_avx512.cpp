// AVX-512 VNNI kernel of the packed layout (packed.h) — not written yet.
#include "backend/cpu/packed_family.h"

namespace dsv4::cpu::family {

void avx512_packed_q32(PackedLayout &) {}

}  // namespace dsv4::cpu::family
