// Memory accounting: every allocation plan is checked against a byte limit before anything
// is allocated, so DSV4_ERR_OUT_OF_MEMORY is a predictable, testable outcome.
#pragma once

#include <cstdint>
#include <string>

namespace dsv4 {

// MemAvailable from /proc/meminfo in bytes; a large fallback when it cannot be read.
uint64_t mem_available_bytes();

// limit 0 means MemAvailable.
uint64_t resolve_memory_limit(uint64_t limit);

// Throws DSV4_ERR_OUT_OF_MEMORY naming what, the bytes needed and the bytes allowed.
void check_memory_plan(const std::string &what, uint64_t needed, uint64_t limit);

std::string format_bytes(uint64_t bytes);  // "1.50 GiB (1610612736 bytes)"

}  // namespace dsv4
