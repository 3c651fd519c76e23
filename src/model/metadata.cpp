#include "model/metadata.h"

#include <cstdio>

#include "common/error.h"
#include "format/gguf.h"

namespace dsv4 {
namespace {
std::string num(double v) {
  char b[40];
  std::snprintf(b, sizeof b, "%g", v);
  return b;
}
}  // namespace

MetaReader::MetaReader(const gguf::File &file, std::string arch) : file_(file), arch_(std::move(arch)) {}

bool MetaReader::has(const std::string &key) const { return file_.find(full_key(key)) != nullptr; }

void MetaReader::check(bool ok, const std::string &key, const std::string &value, const std::string &allowed) const {
  if (!ok) fail(DSV4_ERR_FORMAT, file_.path() + ": " + full_key(key) + " = " + value + ": expected " + allowed);
}

void MetaReader::missing(const std::string &key, const std::string &why) const {
  fail(DSV4_ERR_FORMAT, file_.path() + ": missing key " + full_key(key) + (why.empty() ? "" : " (required: " + why + ")"));
}

void MetaReader::unsupported(const std::string &key, const std::string &value, const std::string &allowed) const {
  fail(DSV4_ERR_UNSUPPORTED, file_.path() + ": " + full_key(key) + " = " + value + " is not supported (supported: " + allowed + ")");
}

int64_t MetaReader::required_int(const std::string &key, int64_t lo, int64_t hi) const {
  auto v = file_.get_int(full_key(key));
  if (!v) missing(key, "");
  check(*v >= lo && *v <= hi, key, std::to_string(*v), std::to_string(lo) + ".." + std::to_string(hi));
  return *v;
}

int64_t MetaReader::optional_int(const std::string &key, int64_t fallback, int64_t lo, int64_t hi) const {
  auto v = file_.get_int(full_key(key));
  if (!v) return fallback;
  check(*v >= lo && *v <= hi, key, std::to_string(*v), std::to_string(lo) + ".." + std::to_string(hi));
  return *v;
}

double MetaReader::required_float(const std::string &key, double lo, double hi) const {
  auto v = file_.get_float(full_key(key));
  if (!v) missing(key, "");
  check(*v >= lo && *v <= hi, key, num(*v), num(lo) + ".." + num(hi));
  return *v;
}

double MetaReader::optional_float(const std::string &key, double fallback, double lo, double hi) const {
  auto v = file_.get_float(full_key(key));
  if (!v) return fallback;
  check(*v >= lo && *v <= hi, key, num(*v), num(lo) + ".." + num(hi));
  return *v;
}

bool MetaReader::optional_bool(const std::string &key, bool fallback) const {
  auto v = file_.get_bool(full_key(key));
  return v ? *v : fallback;
}

std::string MetaReader::optional_string(const std::string &key, const std::string &fallback) const {
  auto v = file_.get_string(full_key(key));
  return v ? *v : fallback;
}

std::vector<int64_t> MetaReader::required_int_array(const std::string &key) const {
  auto v = file_.get_int_array(full_key(key));
  if (!v) missing(key, "");
  return *v;
}

}  // namespace dsv4
