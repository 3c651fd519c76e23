// Internal error type: every failure inside the library throws dsv4::Error, and the C ABI
// layer (bindings/c) turns it into a dsv4_status + thread-local message in one place.
#pragma once

#include <exception>
#include <string>
#include <utility>

#include "dsv4/dsv4.h"

namespace dsv4 {

class Error : public std::exception {
 public:
  Error(dsv4_status status, std::string message) : status_(status), message_(std::move(message)) {}
  dsv4_status status() const noexcept { return status_; }
  const char *what() const noexcept override { return message_.c_str(); }
  const std::string &message() const noexcept { return message_; }

 private:
  dsv4_status status_;
  std::string message_;
};

[[noreturn]] inline void fail(dsv4_status status, std::string message) {
  throw Error(status, std::move(message));
}

inline void check_format(bool ok, const std::string &message) {
  if (!ok) throw Error(DSV4_ERR_FORMAT, message);
}

}  // namespace dsv4
