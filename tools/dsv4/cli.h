// Shared helpers of the dsv4 CLI. Contract for every subcommand: machine-readable output on
// stdout only, everything else on stderr; exit 0 ok, 1 error (one line on stderr), 2 usage.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "model/arch/arch.h"
#include "model/repack.h"

namespace dsv4::cli {

// Thrown for bad command lines: main prints it and exits 2.
struct UsageError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// Parses "--flag value", "--flag=value", "-n 5" and boolean switches. Unknown flags are a
// UsageError so typos never pass silently.
class Args {
 public:
  // value_flags take a value; switches do not. Names include the dashes ("--model", "-n").
  Args(int argc, char **argv, const std::vector<std::string> &value_flags,
       const std::vector<std::string> &switches);

  bool has(const std::string &flag) const;
  std::optional<std::string> get(const std::string &flag) const;
  std::string require(const std::string &flag) const;  // UsageError when missing
  int64_t get_int(const std::string &flag, int64_t fallback) const;
  double get_double(const std::string &flag, double fallback) const;
  const std::vector<std::string> &positional() const { return positional_; }

 private:
  std::map<std::string, std::string> values_;
  std::vector<std::string> positional_;
};

// Token lists: ids separated by commas and/or whitespace, or "@FILE" to read them from a file.
std::vector<int32_t> parse_token_list(const std::string &text);

std::string read_file(const std::string &path);

// "f32" | "bf16" | "fp8" -> CacheType; UsageError otherwise.
CacheType parse_cache_type(const std::string &name);  // whole file, byte for byte; throws dsv4::Error(IO)

// "off" | "auto" | "on" -> RepackMode (--repack; default auto); UsageError otherwise.
RepackMode parse_repack(const Args &args);

// Subcommands: each lives in its own cmd_<name>.cpp and returns the process exit code.
int cmd_info(int argc, char **argv);
int cmd_logits(int argc, char **argv);
int cmd_bench(int argc, char **argv);
int cmd_plan(int argc, char **argv);
int cmd_make_model(int argc, char **argv);
int cmd_tokenize(int argc, char **argv);
int cmd_detokenize(int argc, char **argv);
int cmd_run(int argc, char **argv);
int cmd_chat(int argc, char **argv);

}  // namespace dsv4::cli
