// dsv4 make-model: writes a random-weight GGUF model (src/model/maker). Progress goes to stderr;
// stdout gets the output path only.
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>

#include "cli.h"
#include "common/error.h"
#include "model/maker/maker.h"

namespace dsv4::cli {

namespace {

namespace fs = std::filesystem;
using maker::Arch;

const char *kUsage =
    "usage: dsv4 make-model --arch deepseek2|deepseek4 (--preset NAME | --config config.json)\n"
    "                       --out FILE.gguf [--type TYPE] [--seed N] [--vocab FILE.gguf|tokenizer.json|none]\n"
    "                       [--name NAME] [--threads N] [--quiet]\n"
    "  presets: deepseek2: tiny, mid, bench-v2lite16, demo; deepseek4: tiny, bench-v4flash3\n"
    "  types:   f32 f16 bf16 q8_0 q4_0 q4_k q6_k q4_k_m mxfp4_moe (default: the preset's, f32 for --config)\n"
    "  --vocab: tokenizer.* keys copied from a GGUF, or built from a tokenizer.json; 'none' = a small\n"
    "           synthetic byte-level vocabulary (the default of the tiny presets). Presets with a real\n"
    "           vocabulary find it in $DSV4_TESTDATA or ../shared/testdata.\n"
    "  The same options always give a byte-identical file, whatever --threads.\n";

// ../shared/testdata: $DSV4_TESTDATA, else beside the source tree the binary was built in
// (<root>/<build>/bin/dsv4 -> <root>/../shared/testdata), else relative to the working directory.
std::string find_testdata(const std::string &relative) {
  std::vector<fs::path> roots;
  if (const char *env = std::getenv("DSV4_TESTDATA")) roots.emplace_back(env);
  std::error_code ec;
  const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (!ec) roots.push_back(exe.parent_path() / "../../../shared/testdata");
  roots.emplace_back("../shared/testdata");
  roots.emplace_back("shared/testdata");
  for (const fs::path &root : roots)
    if (fs::exists(root / relative, ec)) return fs::weakly_canonical(root / relative, ec).string();
  throw UsageError("this preset's vocabulary '" + relative +
                   "' was not found under $DSV4_TESTDATA or ../shared/testdata; pass --vocab FILE (or --vocab none)");
}

class ProgressPrinter {
 public:
  explicit ProgressPrinter(bool quiet) : quiet_(quiet), tty_(isatty(STDERR_FILENO) != 0) {}

  bool operator()(const maker::Progress &p) {
    if (quiet_ || p.bytes_total == 0) return true;
    // A terminal gets every percent on one line; a log file one line per 10 %.
    int percent = static_cast<int>(100 * p.bytes_done / p.bytes_total);
    if (!tty_) percent -= percent % 10;
    if (percent == last_percent_) return true;
    last_percent_ = percent;
    std::fprintf(stderr, "%smake-model: %3d%%  tensor %lld/%lld  %.*s%s", tty_ ? "\r\033[K" : "", percent,
                 static_cast<long long>(p.tensors_done + (p.tensors_done < p.tensors_total ? 1 : 0)),
                 static_cast<long long>(p.tensors_total), static_cast<int>(p.tensor.size()), p.tensor.data(),
                 tty_ ? "" : "\n");
    std::fflush(stderr);
    return true;
  }
  void done() const {
    if (!quiet_ && tty_ && last_percent_ >= 0) std::fprintf(stderr, "\n");
  }

 private:
  bool quiet_, tty_;
  int last_percent_ = -1;
};

// A bad --arch / --preset / --type is a usage error (exit 2), not a failure.
template <class F>
auto as_usage(F &&f) {
  try {
    return f();
  } catch (const Error &e) {
    if (e.status() == DSV4_ERR_INVALID_ARGUMENT) throw UsageError(e.message());
    throw;
  }
}

}  // namespace

int cmd_make_model(int argc, char **argv) {
  for (int i = 0; i < argc; ++i)
    if (std::string(argv[i]) == "--help" || std::string(argv[i]) == "-h") {
      std::fputs(kUsage, stdout);
      return 0;
    }
  Args a(argc, argv, {"--arch", "--preset", "--config", "--type", "--seed", "--vocab", "--out", "--name", "--threads"},
         {"--quiet"});
  if (!a.positional().empty()) throw UsageError("unexpected argument '" + a.positional()[0] + "'\n" + kUsage);
  const Arch arch = as_usage([&] { return maker::arch_from_name(a.require("--arch")); });
  if (a.has("--preset") == a.has("--config")) throw UsageError(std::string("give exactly one of --preset and --config\n") + kUsage);

  maker::MakeOptions o;
  if (a.has("--preset")) {
    o.spec = as_usage([&] { return maker::preset(arch, *a.get("--preset")); });
  } else {
    const std::string path = *a.get("--config");
    o.spec = maker::spec_from_config_json(arch, read_file(path), path);
  }
  if (a.has("--name")) o.spec.name = *a.get("--name");
  o.type = a.has("--type") ? as_usage([&] { return maker::type_mix_from_name(*a.get("--type")); }) : o.spec.default_type;
  const int64_t seed = a.get_int("--seed", 0);
  if (seed < 0) throw UsageError("--seed must be >= 0");
  o.seed = static_cast<uint64_t>(seed);
  const std::string vocab = a.get("--vocab").value_or("");
  if (vocab == "none") o.vocab_path.clear();
  else if (!vocab.empty()) o.vocab_path = vocab;
  else if (!o.spec.default_vocab.empty()) o.vocab_path = find_testdata(o.spec.default_vocab);
  o.out_path = a.require("--out");
  o.n_threads = static_cast<int>(a.get_int("--threads", 0));
  if (o.n_threads < 0) throw UsageError("--threads must be >= 0");

  ProgressPrinter printer(a.has("--quiet"));
  o.progress = [&printer](const maker::Progress &p) { return printer(p); };
  const auto t0 = std::chrono::steady_clock::now();
  const maker::MakeResult r = maker::make_model(o);
  printer.done();
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::fprintf(stderr, "make-model: wrote %s (%s, %s, seed %llu): %lld tensors, %.1f M params, n_vocab %lld, %.1f MiB in %.1f s\n",
               o.out_path.c_str(), o.spec.name.c_str(), maker::type_mix_name(o.type),
               static_cast<unsigned long long>(o.seed), static_cast<long long>(r.n_tensors), r.n_params / 1e6,
               static_cast<long long>(r.n_vocab), r.file_bytes / 1048576.0, secs);
  std::printf("%s\n", o.out_path.c_str());
  return 0;
}

}  // namespace dsv4::cli
