// Version, status names, error text and logging of the C ABI.
#include <cstdio>
#include <string>

#include "api_internal.h"
#include "common/log.h"

namespace dsv4::capi {
namespace {
thread_local std::string t_last_error;
}

void clear_error() { t_last_error.clear(); }
void set_error(std::string_view message) { t_last_error.assign(message); }
const char *last_error() { return t_last_error.c_str(); }

void check_flags(uint32_t flags, uint32_t known) {
  if ((flags & ~known) == 0) return;
  char hex[16];
  std::snprintf(hex, sizeof hex, "0x%X", flags & ~known);
  fail(DSV4_ERR_INVALID_ARGUMENT, std::string("flags has unknown bits ") + hex);
}

void write_string(std::string_view s, char *buf, size_t cap, size_t *n_required) {
  if (n_required) *n_required = s.size() + 1;
  if (cap < s.size() + 1 || !buf) {
    if (cap == 0 && !n_required) fail(DSV4_ERR_INVALID_ARGUMENT, "buffer is NULL and n_required is NULL");
    fail(DSV4_ERR_BUFFER_TOO_SMALL,
         "buffer holds " + std::to_string(cap) + " bytes, " + std::to_string(s.size() + 1) + " needed");
  }
  std::memcpy(buf, s.data(), s.size());
  buf[s.size()] = '\0';
}

}  // namespace dsv4::capi

extern "C" {

const char *dsv4_version(void) {
#define DSV4_STR2(x) #x
#define DSV4_STR(x) DSV4_STR2(x)
  return DSV4_STR(DSV4_VERSION_MAJOR) "." DSV4_STR(DSV4_VERSION_MINOR) "." DSV4_STR(DSV4_VERSION_PATCH);
#undef DSV4_STR
#undef DSV4_STR2
}

const char *dsv4_status_string(dsv4_status status) {
  switch (status) {
    case DSV4_OK: return "DSV4_OK";
    case DSV4_CANCELLED: return "DSV4_CANCELLED";
    case DSV4_ERR_INVALID_ARGUMENT: return "DSV4_ERR_INVALID_ARGUMENT";
    case DSV4_ERR_BUFFER_TOO_SMALL: return "DSV4_ERR_BUFFER_TOO_SMALL";
    case DSV4_ERR_TOKEN_OUT_OF_RANGE: return "DSV4_ERR_TOKEN_OUT_OF_RANGE";
    case DSV4_ERR_NOT_FOUND: return "DSV4_ERR_NOT_FOUND";
    case DSV4_ERR_IO: return "DSV4_ERR_IO";
    case DSV4_ERR_FORMAT: return "DSV4_ERR_FORMAT";
    case DSV4_ERR_UNSUPPORTED: return "DSV4_ERR_UNSUPPORTED";
    case DSV4_ERR_WRONG_ARCHITECTURE: return "DSV4_ERR_WRONG_ARCHITECTURE";
    case DSV4_ERR_OUT_OF_MEMORY: return "DSV4_ERR_OUT_OF_MEMORY";
    case DSV4_ERR_CONTEXT_FULL: return "DSV4_ERR_CONTEXT_FULL";
    case DSV4_ERR_BACKEND_UNAVAILABLE: return "DSV4_ERR_BACKEND_UNAVAILABLE";
    case DSV4_ERR_BUSY: return "DSV4_ERR_BUSY";
    case DSV4_ERR_INTERNAL: return "DSV4_ERR_INTERNAL";
    default: return "DSV4_UNKNOWN_STATUS";
  }
}

const char *dsv4_last_error(void) { return dsv4::capi::last_error(); }

void dsv4_set_log_callback(dsv4_log_fn fn, void *user) { dsv4::log_set_sink(fn, user); }

}  // extern "C"
