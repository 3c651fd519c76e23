// Shared plumbing of the C ABI implementation: the one place where exceptions become
// statuses, thread-local error text, caller-owned buffers and versioned option structs.
#pragma once

#include <cstring>
#include <memory>
#include <new>
#include <string>
#include <string_view>

#include "common/error.h"
#include "dsv4/dsv4.h"

namespace dsv4::capi {

void clear_error();
void set_error(std::string_view message);
const char *last_error();

// Runs f; turns every exception into a status and the thread's error text.
template <class F>
dsv4_status guard(F &&f) noexcept {
  clear_error();
  try {
    f();
    return DSV4_OK;
  } catch (const Error &e) {
    set_error(e.message());
    return e.status();
  } catch (const std::bad_alloc &) {
    set_error("out of memory (allocation failed)");
    return DSV4_ERR_OUT_OF_MEMORY;
  } catch (const std::exception &e) {
    set_error(std::string("internal error: ") + e.what());
    return DSV4_ERR_INTERNAL;
  } catch (...) {
    set_error("internal error: unknown exception");
    return DSV4_ERR_INTERNAL;
  }
}

inline void require(bool ok, const char *message) {
  if (!ok) fail(DSV4_ERR_INVALID_ARGUMENT, message);
}

// INVALID_ARGUMENT naming the bits of flags outside known.
void check_flags(uint32_t flags, uint32_t known);

// Copies s plus a NUL into (buf, cap); sets *n_required; BUFFER_TOO_SMALL when it does not fit.
void write_string(std::string_view s, char *buf, size_t cap, size_t *n_required);

// Reads a versioned option struct: members past the caller's struct_size keep the defaults.
template <class P>
P read_params(const P *given, const P &defaults, const char *what) {
  P out = defaults;
  if (!given) return out;
  if (given->struct_size < sizeof(uint32_t) || given->struct_size > sizeof(P))
    fail(DSV4_ERR_INVALID_ARGUMENT, std::string(what) + ".struct_size is " +
                                        std::to_string(given->struct_size) + ", expected 4.." +
                                        std::to_string(sizeof(P)) + " (use the *_params_default() function)");
  std::memcpy(&out, given, given->struct_size);
  out.struct_size = sizeof(P);
  return out;
}

}  // namespace dsv4::capi

namespace dsv4 {
class Model;
class Session;
}

// The opaque handle behind dsv4_model*.
struct dsv4_model {
  std::unique_ptr<dsv4::Model> impl;
};

// The opaque handle behind dsv4_session*.
struct dsv4_session {
  std::unique_ptr<dsv4::Session> impl;
};
