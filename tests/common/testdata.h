// Where tests find ../shared/testdata and the build's binaries.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace dsv4::test {

// $DSV4_TESTDATA, else <source root>/../shared/testdata.
std::string testdata_dir();
std::string testdata_path(const std::string &relative);
// <build>/bin/<name>
std::string binary_path(const std::string &name);
// A fresh empty directory under the system temp dir, unique per call.
std::string make_temp_dir(const std::string &tag);
std::vector<uint8_t> read_bytes(const std::string &path);
std::vector<float> read_f32(const std::string &path);
std::vector<int32_t> read_token_file(const std::string &path);  // comma/whitespace separated ids

struct CliResult {
  int exit_code = -1;  // WEXITSTATUS, or -1 when the shell did not exit normally
  std::string out, err;
};
// Runs '<build>/bin/dsv4' ARGS (already shell-quoted) through the shell, stdout and stderr
// captured in files under scratch_dir, stdin from stdin_path (empty: /dev/null).
CliResult run_cli(const std::string &args_after_binary, const std::string &scratch_dir,
                  const std::string &stdin_path = "");

}  // namespace dsv4::test
