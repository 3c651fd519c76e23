#include "common/testdata.h"

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>
#include <sstream>
#include <stdexcept>

#include <sys/wait.h>

namespace dsv4::test {

std::string testdata_dir() {
  if (const char *env = std::getenv("DSV4_TESTDATA"); env && *env) return env;
  return std::string(DSV4_SOURCE_DIR) + "/../shared/testdata";
}

std::string testdata_path(const std::string &relative) { return testdata_dir() + "/" + relative; }

std::string binary_path(const std::string &name) { return std::string(DSV4_BINARY_DIR) + "/bin/" + name; }

std::string make_temp_dir(const std::string &tag) {
  static std::random_device rd;
  auto base = std::filesystem::temp_directory_path();
  for (int attempt = 0; attempt < 100; ++attempt) {
    auto p = base / ("dsv4-" + tag + "-" + std::to_string(rd()));
    if (std::filesystem::create_directory(p)) return p.string();
  }
  throw std::runtime_error("cannot create temp dir");
}

std::vector<uint8_t> read_bytes(const std::string &path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot open " + path);
  return std::vector<uint8_t>(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

std::vector<float> read_f32(const std::string &path) {
  std::vector<uint8_t> b = read_bytes(path);
  std::vector<float> out(b.size() / 4);
  std::memcpy(out.data(), b.data(), out.size() * 4);
  return out;
}

std::vector<int32_t> read_token_file(const std::string &path) {
  std::vector<uint8_t> b = read_bytes(path);
  std::vector<int32_t> ids;
  std::string cur;
  for (uint8_t c : b) {
    if (c >= '0' && c <= '9') {
      cur.push_back(static_cast<char>(c));
    } else if (!cur.empty()) {
      ids.push_back(std::stoi(cur));
      cur.clear();
    }
  }
  if (!cur.empty()) ids.push_back(std::stoi(cur));
  return ids;
}

namespace {

std::string slurp(const std::string &path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace

CliResult run_cli(const std::string &args_after_binary, const std::string &scratch_dir,
                  const std::string &stdin_path) {
  const std::string out = scratch_dir + "/stdout", err = scratch_dir + "/stderr";
  const std::string in = stdin_path.empty() ? std::string("/dev/null") : stdin_path;
  const std::string cmd = "'" + binary_path("dsv4") + "' " + args_after_binary + " <'" + in + "' >'" + out +
                          "' 2>'" + err + "'";
  const int rc = std::system(cmd.c_str());
  CliResult r;
  r.exit_code = WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
  r.out = slurp(out);
  r.err = slurp(err);
  return r;
}

}  // namespace dsv4::test
