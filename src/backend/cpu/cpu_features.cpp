#include "backend/cpu/cpu_features.h"

#include <cstdlib>
#include <cstring>

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#define DSV4_X86 1
#endif

namespace dsv4 {
namespace {

#ifdef DSV4_X86
uint64_t read_xcr0() {
  uint32_t eax = 0, edx = 0;
  // xgetbv with ecx = 0, spelled as bytes so no -mxsave is needed.
  __asm__ volatile(".byte 0x0f, 0x01, 0xd0" : "=a"(eax), "=d"(edx) : "c"(0));
  return (static_cast<uint64_t>(edx) << 32) | eax;
}
#endif

CpuFeatures detect() {
  CpuFeatures f;
#ifdef DSV4_X86
  unsigned a = 0, b = 0, c = 0, d = 0;
  if (!__get_cpuid(0, &a, &b, &c, &d)) return f;
  const unsigned max_leaf = a;
  if (!__get_cpuid(1, &a, &b, &c, &d)) return f;
  const bool osxsave = (c >> 27) & 1;
  const bool fma = (c >> 12) & 1, f16c = (c >> 29) & 1, avx = (c >> 28) & 1;
  if (!osxsave || !avx) return f;
  const uint64_t xcr0 = read_xcr0();
  const bool ymm_state = (xcr0 & 0x6) == 0x6;            // XMM | YMM
  const bool zmm_state = (xcr0 & 0xE6) == 0xE6;          // + opmask, ZMM_Hi256, Hi16_ZMM
  if (!ymm_state || max_leaf < 7) return f;
  __cpuid_count(7, 0, a, b, c, d);
  f.avx2 = (b >> 5) & 1;
  f.fma = fma;
  f.f16c = f16c;
  if (zmm_state) {
    f.avx512f = (b >> 16) & 1;
    f.avx512dq = (b >> 17) & 1;
    f.avx512bw = (b >> 30) & 1;
    f.avx512vl = (b >> 31) & 1;
    f.avx512vnni = (c >> 11) & 1;
    unsigned a1 = 0, b1 = 0, c1 = 0, d1 = 0;
    __cpuid_count(7, 1, a1, b1, c1, d1);
    f.avx512bf16 = (a1 >> 5) & 1;
  }
#endif
  return f;
}

Isa clamp_to_best(Isa want) {
  const Isa best = best_isa();
  return static_cast<int>(want) > static_cast<int>(best) ? best : want;
}

}  // namespace

bool CpuFeatures::has(Isa isa) const {
  switch (isa) {
    case Isa::kScalar: return true;
    case Isa::kAvx2: return avx2 && fma && f16c;
    case Isa::kAvx512: return has(Isa::kAvx2) && avx512f && avx512bw && avx512vl && avx512dq && avx512vnni;
    default: return false;
  }
}

const CpuFeatures &cpu_features() {
  static const CpuFeatures f = detect();
  return f;
}

Isa best_isa() {
  static const Isa best = cpu_features().has(Isa::kAvx512) ? Isa::kAvx512
                          : cpu_features().has(Isa::kAvx2) ? Isa::kAvx2
                                                           : Isa::kScalar;
  return best;
}

const char *isa_name(Isa isa) {
  switch (isa) {
    case Isa::kAuto: return "auto";
    case Isa::kScalar: return "scalar";
    case Isa::kAvx2: return "avx2";
    case Isa::kAvx512: return "avx512";
  }
  return "unknown";
}

bool parse_isa(const char *s, Isa *out) {
  if (!s) return false;
  static const struct { const char *name; Isa isa; } names[] = {
      {"auto", Isa::kAuto}, {"scalar", Isa::kScalar}, {"avx2", Isa::kAvx2}, {"avx512", Isa::kAvx512}};
  for (const auto &n : names)
    if (std::strcmp(s, n.name) == 0) {
      *out = n.isa;
      return true;
    }
  return false;
}

Isa resolve_isa(Isa requested, std::string *message) {
  if (message) message->clear();
  Isa want = requested;
  if (want == Isa::kAuto) {
    const char *env = std::getenv("DSV4_ISA");
    if (!env || !*env) return best_isa();
    if (!parse_isa(env, &want)) {
      if (message) *message = std::string("DSV4_ISA=") + env + " is not one of scalar, avx2, avx512; using " +
                              isa_name(best_isa());
      return best_isa();
    }
    if (want == Isa::kAuto) return best_isa();
  }
  if (static_cast<int>(want) < 0 || static_cast<int>(want) > static_cast<int>(Isa::kAvx512)) {
    if (message) *message = std::string("unknown ISA request; using ") + isa_name(best_isa());
    return best_isa();
  }
  const Isa got = clamp_to_best(want);
  if (got != want && message)
    *message = std::string("this CPU cannot run the ") + isa_name(want) + " kernels; using " + isa_name(got);
  return got;
}

std::string describe_cpu_features() {
  const CpuFeatures &f = cpu_features();
  std::string s;
  const struct { bool on; const char *name; } list[] = {
      {f.avx2, "avx2"},         {f.fma, "fma"},           {f.f16c, "f16c"},
      {f.avx512f, "avx512f"},   {f.avx512bw, "avx512bw"}, {f.avx512vl, "avx512vl"},
      {f.avx512dq, "avx512dq"}, {f.avx512vnni, "avx512vnni"}, {f.avx512bf16, "avx512bf16"}};
  for (const auto &e : list)
    if (e.on) s += std::string(s.empty() ? "" : " ") + e.name;
  if (s.empty()) s = "(no AVX)";
  return s + " (best: " + isa_name(best_isa()) + ")";
}

}  // namespace dsv4
