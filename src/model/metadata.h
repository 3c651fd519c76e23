// Reads "<arch>.<key>" metadata with range checks; every failure names the file, the full key,
// the value and what is allowed (DSV4_ERR_FORMAT), or UNSUPPORTED for valid-but-unhandled values.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace dsv4 {
namespace gguf {
class File;
}

class MetaReader {
 public:
  MetaReader(const gguf::File &file, std::string arch);

  int64_t required_int(const std::string &key, int64_t lo, int64_t hi) const;
  int64_t optional_int(const std::string &key, int64_t fallback, int64_t lo, int64_t hi) const;
  double required_float(const std::string &key, double lo, double hi) const;
  double optional_float(const std::string &key, double fallback, double lo, double hi) const;
  bool optional_bool(const std::string &key, bool fallback) const;
  std::string optional_string(const std::string &key, const std::string &fallback) const;
  std::vector<int64_t> required_int_array(const std::string &key) const;
  bool has(const std::string &key) const;

  // FORMAT: "<file>: <arch>.<key> = <value>: expected <allowed>"
  void check(bool ok, const std::string &key, const std::string &value, const std::string &allowed) const;
  [[noreturn]] void missing(const std::string &key, const std::string &why) const;
  [[noreturn]] void unsupported(const std::string &key, const std::string &value, const std::string &allowed) const;

  std::string full_key(const std::string &key) const { return arch_ + "." + key; }

 private:
  const gguf::File &file_;
  std::string arch_;
};

}  // namespace dsv4
