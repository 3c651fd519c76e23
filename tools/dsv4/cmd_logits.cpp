// dsv4 logits: writes little-endian f32 [n_tokens][n_vocab]; row i = logits after tokens 0..i.
#include <algorithm>
#include <cstdio>
#include <memory>

#include "cli.h"
#include "common/error.h"
#include "runtime/model.h"
#include "runtime/session.h"

namespace dsv4::cli {

int cmd_logits(int argc, char **argv) {
  Args a(argc, argv, {"--model", "--tokens", "--out", "--chunk", "--threads", "--cache-type", "--repack"}, {});
  const std::string path = a.require("--model"), out_path = a.require("--out");
  const std::vector<int32_t> tokens = parse_token_list(a.require("--tokens"));
  if (tokens.empty()) throw UsageError("--tokens is empty");
  const int64_t chunk = a.get_int("--chunk", 0);
  if (chunk < 0) throw UsageError("--chunk must be >= 1");
  SessionOptions so;
  so.n_ctx = static_cast<int64_t>(tokens.size());
  so.n_threads = static_cast<int32_t>(a.get_int("--threads", 0));
  so.cache_type = parse_cache_type(a.get("--cache-type").value_or("f32"));

  // The exact path reads the file's rows: a packed copy would only cost memory (unless asked for).
  ModelLoadOptions mo;
  mo.repack = a.has("--repack") ? parse_repack(a) : RepackMode::kOff;
  auto model = Model::load(path, mo);
  Session session(*model, so);
  const int64_t n = static_cast<int64_t>(tokens.size()), step = chunk > 0 ? chunk : n;
  const int64_t V = session.n_vocab();
  std::unique_ptr<FILE, int (*)(FILE *)> f(std::fopen(out_path.c_str(), "wb"), std::fclose);
  if (!f) fail(DSV4_ERR_IO, "cannot create '" + out_path + "'");
  std::vector<uint8_t> all(static_cast<size_t>(step), 1);
  for (int64_t i = 0; i < n; i += step) {
    const int64_t m = std::min(step, n - i);
    session.eval(tokens.data() + i, m, all.data());
    if (std::fwrite(session.logits().data(), sizeof(float), static_cast<size_t>(m * V), f.get()) !=
        static_cast<size_t>(m * V))
      fail(DSV4_ERR_IO, "write to '" + out_path + "' failed");
  }
  if (std::fflush(f.get()) != 0) fail(DSV4_ERR_IO, "write to '" + out_path + "' failed");
  std::fprintf(stderr, "wrote %lld x %lld logits to %s\n", static_cast<long long>(n), static_cast<long long>(V),
               out_path.c_str());
  return 0;
}

}  // namespace dsv4::cli
