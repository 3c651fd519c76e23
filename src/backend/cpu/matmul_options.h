// How the CPU backend's matmul computes: which kernel family and whether activations are rounded
// to 8 bits first. Per calling thread: a MatmulScope sets them for its lifetime (a session sets
// its options around each forward pass), and ThreadPool::run hands the starting thread's
// options to its workers, so nested matmuls inside a pool job see the same ones.
#pragma once

#include <cstdint>

#include "backend/cpu/cpu_features.h"

namespace dsv4 {

enum class MatmulMode : uint8_t {
  kExact = 0,  // weights dequantized exactly, f32 activations (the golden-test path; default)
  kInt8 = 1,   // activations rounded as llama.cpp's CPU backend does (kernels.h), integer dots
};

struct MatmulOptions {
  Isa isa = Isa::kAuto;  // kAuto: DSV4_ISA, else the best the CPU has; clamped to what it has
  MatmulMode mode = MatmulMode::kExact;
};

// The options in force on this thread (defaults when no scope is active).
MatmulOptions current_matmul_options();

class MatmulScope {
 public:
  explicit MatmulScope(const MatmulOptions &o);
  ~MatmulScope();
  MatmulScope(const MatmulScope &) = delete;
  MatmulScope &operator=(const MatmulScope &) = delete;

 private:
  MatmulOptions prev_;
};

// The family a request runs on (kAuto resolved once from DSV4_ISA, with a warning logged once if
// the variable is invalid or names a family this CPU lacks; an explicit request is clamped).
Isa effective_isa(Isa requested);

}  // namespace dsv4
