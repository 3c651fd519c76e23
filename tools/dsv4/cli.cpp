#include "cli.h"

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <cerrno>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "common/error.h"

namespace dsv4::cli {

Args::Args(int argc, char **argv, const std::vector<std::string> &value_flags,
           const std::vector<std::string> &switches) {
  auto is_in = [](const std::vector<std::string> &v, const std::string &s) {
    return std::find(v.begin(), v.end(), s) != v.end();
  };
  for (int i = 0; i < argc; ++i) {
    std::string a = argv[i];
    if (a.size() < 2 || a[0] != '-' || (a[1] >= '0' && a[1] <= '9')) {
      positional_.push_back(a);
      continue;
    }
    std::string name = a, value;
    bool has_value = false;
    if (size_t eq = a.find('='); a.rfind("--", 0) == 0 && eq != std::string::npos) {
      name = a.substr(0, eq);
      value = a.substr(eq + 1);
      has_value = true;
    }
    if (is_in(switches, name)) {
      if (has_value) throw UsageError(name + " takes no value");
      values_[name] = "1";
    } else if (is_in(value_flags, name)) {
      if (!has_value) {
        if (i + 1 >= argc) throw UsageError(name + " needs a value");
        value = argv[++i];
      }
      values_[name] = value;
    } else {
      throw UsageError("unknown option " + name);
    }
  }
}

bool Args::has(const std::string &flag) const { return values_.count(flag) != 0; }

std::optional<std::string> Args::get(const std::string &flag) const {
  auto it = values_.find(flag);
  if (it == values_.end()) return std::nullopt;
  return it->second;
}

std::string Args::require(const std::string &flag) const {
  auto v = get(flag);
  if (!v) throw UsageError("missing " + flag);
  return *v;
}

int64_t Args::get_int(const std::string &flag, int64_t fallback) const {
  auto v = get(flag);
  if (!v) return fallback;
  char *end = nullptr;
  errno = 0;
  long long x = std::strtoll(v->c_str(), &end, 10);
  if (errno || end == v->c_str() || *end) throw UsageError(flag + " expects an integer, got '" + *v + "'");
  return x;
}

double Args::get_double(const std::string &flag, double fallback) const {
  auto v = get(flag);
  if (!v) return fallback;
  char *end = nullptr;
  double x = std::strtod(v->c_str(), &end);
  if (end == v->c_str() || *end) throw UsageError(flag + " expects a number, got '" + *v + "'");
  return x;
}

std::string read_file(const std::string &path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) fail(DSV4_ERR_IO, "cannot open '" + path + "'");
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::vector<int32_t> parse_token_list(const std::string &text) {
  std::string s = text.rfind('@', 0) == 0 ? read_file(text.substr(1)) : text;
  std::vector<int32_t> ids;
  size_t i = 0;
  while (i < s.size()) {
    char c = s[i];
    if (c == ',' || c == ' ' || c == '\t' || c == '\n' || c == '\r') {
      ++i;
      continue;
    }
    size_t j = i;
    if (s[j] == '-') ++j;
    while (j < s.size() && s[j] >= '0' && s[j] <= '9') ++j;
    std::string tok = s.substr(i, j - i);
    if (tok.empty() || tok == "-" || (j < s.size() && !std::strchr(", \t\r\n", s[j])))
      throw UsageError("bad token list near '" + s.substr(i, 16) + "'");
    long long v = std::strtoll(tok.c_str(), nullptr, 10);
    if (v < INT32_MIN || v > INT32_MAX || tok.size() > 11) throw UsageError("token id out of range: " + tok);
    ids.push_back(static_cast<int32_t>(v));
    i = j;
  }
  return ids;
}

RepackMode parse_repack(const Args &args) {
  RepackMode m = RepackMode::kAuto;
  const auto v = args.get("--repack");
  if (v && !parse_repack_mode(v->c_str(), &m)) throw UsageError("unknown --repack '" + *v + "' (off, auto, on)");
  return m;
}

CacheType parse_cache_type(const std::string &name) {
  if (name == "f32") return CacheType::kF32;
  if (name == "bf16") return CacheType::kBF16;
  if (name == "fp8") return CacheType::kFP8;
  throw UsageError("unknown cache type '" + name + "' (f32, bf16, fp8)");
}

}  // namespace dsv4::cli
