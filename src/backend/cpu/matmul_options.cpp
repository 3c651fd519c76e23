#include "backend/cpu/matmul_options.h"

#include <string>

#include "common/log.h"

namespace dsv4 {
namespace {
thread_local MatmulOptions t_options;
}  // namespace

MatmulOptions current_matmul_options() { return t_options; }

MatmulScope::MatmulScope(const MatmulOptions &o) : prev_(t_options) { t_options = o; }
MatmulScope::~MatmulScope() { t_options = prev_; }

Isa effective_isa(Isa requested) {
  if (requested == Isa::kAuto) {
    static const Isa from_env = [] {
      std::string message;
      const Isa isa = resolve_isa(Isa::kAuto, &message);
      if (!message.empty()) log_warn(message);
      return isa;
    }();
    return from_env;
  }
  const Isa best = best_isa();
  if (static_cast<int>(requested) > static_cast<int>(best)) return best;
  if (static_cast<int>(requested) < 0) return best;
  return requested;
}

}  // namespace dsv4
