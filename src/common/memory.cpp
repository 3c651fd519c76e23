#include "common/memory.h"

#include <cinttypes>
#include <cstdio>
#include <cstring>

#include "common/error.h"

namespace dsv4 {

uint64_t mem_available_bytes() {
  FILE *f = std::fopen("/proc/meminfo", "r");
  if (!f) return uint64_t{1} << 40;
  char line[256];
  uint64_t kb = 0;
  bool found = false;
  while (std::fgets(line, sizeof line, f)) {
    if (std::sscanf(line, "MemAvailable: %" SCNu64 " kB", &kb) == 1) {
      found = true;
      break;
    }
  }
  std::fclose(f);
  return found ? kb * 1024 : uint64_t{1} << 40;
}

uint64_t resolve_memory_limit(uint64_t limit) { return limit ? limit : mem_available_bytes(); }

std::string format_bytes(uint64_t bytes) {
  char buf[96];
  std::snprintf(buf, sizeof buf, "%.2f GiB (%" PRIu64 " bytes)", bytes / 1073741824.0, bytes);
  return buf;
}

void check_memory_plan(const std::string &what, uint64_t needed, uint64_t limit) {
  if (needed <= limit) return;
  fail(DSV4_ERR_OUT_OF_MEMORY, what + " needs " + format_bytes(needed) + " but the memory limit allows " +
                                   format_bytes(limit));
}

}  // namespace dsv4
