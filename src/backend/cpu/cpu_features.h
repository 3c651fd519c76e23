// x86-64 CPU feature detection (CPUID + XGETBV) and the choice of SIMD kernel family.
// One binary runs on any x86-64: kernels are chosen at run time, never by compile flags.
#pragma once

#include <cstdint>
#include <string>

namespace dsv4 {

// Kernel families, in increasing order of capability. kAvx512 means AVX-512 F/BW/VL/DQ plus
// VNNI (the int8 kernels use vpdpbusd); a CPU with AVX-512 but no VNNI runs the AVX2 family.
enum class Isa : int8_t {
  kAuto = -1,  // DSV4_ISA when set, otherwise the best the CPU has
  kScalar = 0,
  kAvx2 = 1,   // AVX2 + FMA + F16C
  kAvx512 = 2,
};

struct CpuFeatures {
  bool avx2 = false, fma = false, f16c = false;  // each also requires OS support of YMM state
  bool avx512f = false, avx512bw = false, avx512vl = false, avx512dq = false;  // ZMM/opmask state too
  bool avx512vnni = false, avx512bf16 = false;
  bool has(Isa isa) const;
};

// Detected once; cheap afterwards.
const CpuFeatures &cpu_features();

// The best family this CPU runs.
Isa best_isa();

// "scalar", "avx2", "avx512" ("auto" for kAuto).
const char *isa_name(Isa isa);

// Parses "scalar" / "avx2" / "avx512" (also "auto"); false when unknown.
bool parse_isa(const char *s, Isa *out);

// The family to run for a request: kAuto reads DSV4_ISA (unset or empty: best_isa()); a family the
// CPU lacks is clamped to the best available, an unknown DSV4_ISA value falls back to best_isa().
// Never fails; when the request could not be honoured, *message (if given) says why, otherwise
// it is cleared.
Isa resolve_isa(Isa requested, std::string *message = nullptr);

// A line for logs and test output, e.g. "avx2 fma f16c avx512f avx512bw ... (best: avx512)".
std::string describe_cpu_features();

}  // namespace dsv4
