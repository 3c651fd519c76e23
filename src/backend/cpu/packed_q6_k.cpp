// Packed layout (packed.h) — not written yet: registers nothing, so the type stays unpacked.
#include "backend/cpu/packed_family.h"

namespace dsv4::cpu::family {

void packed_q6_k(PackedLayout &) {}

}  // namespace dsv4::cpu::family
