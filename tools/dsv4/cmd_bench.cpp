// dsv4 bench: prefill and decode speed, with the limits they are measured against taken in the
// same run: read bandwidth for decode (tg_share = tok/s x active bytes / bandwidth) and the peak
// arithmetic of the prefill kernel family (pp_share = tok/s x 2 x active params / peak).
#include <chrono>
#include <cmath>
#include <cstdio>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "backend/cpu/cpu_features.h"
#include "backend/cpu/thread_pool.h"
#include "bench_machine.h"
#include "cli.h"
#include "common/error.h"
#include "format/gguf.h"
#include "model/active_weights.h"
#include "model/arch/arch.h"
#include "runtime/model.h"
#include "runtime/session.h"

namespace dsv4::cli {
namespace {

using Clock = std::chrono::steady_clock;

struct Stat {
  double mean = 0, sd = 0;
};

Stat stats(const std::vector<double> &v) {
  Stat s;
  if (v.empty()) return s;
  for (double x : v) s.mean += x;
  s.mean /= static_cast<double>(v.size());
  if (v.size() > 1) {
    for (double x : v) s.sd += (x - s.mean) * (x - s.mean);
    s.sd = std::sqrt(s.sd / static_cast<double>(v.size() - 1));
  }
  return s;
}

// Anonymous resident memory of this process (the weights' mapped pages are file-backed).
uint64_t rss_anon_bytes() {
  FILE *f = std::fopen("/proc/self/status", "r");
  if (!f) return 0;
  char line[256];
  unsigned long long kb = 0;
  while (std::fgets(line, sizeof line, f))
    if (std::sscanf(line, "RssAnon: %llu kB", &kb) == 1) break;
  std::fclose(f);
  return kb * 1024;
}

double seconds_since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

}  // namespace

int cmd_bench(int argc, char **argv) {
  Args a(argc, argv, {"--model", "-p", "-n", "-d", "-r", "--threads", "--isa", "--cache-type", "--repack"},
         {"--json", "--exact"});
  const std::string path = a.require("--model");
  const int64_t p = a.get_int("-p", 512), n = a.get_int("-n", 128), d = a.get_int("-d", 0), r = a.get_int("-r", 3);
  if (p < 0 || n < 0 || d < 0 || r < 1 || (p == 0 && n == 0)) throw UsageError("need -p >= 0, -n >= 0, -d >= 0, -r >= 1");
  const int threads = static_cast<int>(a.get_int("--threads", 0));

  SessionOptions so;
  so.n_threads = threads;
  so.n_ctx = std::max(p, d + n) + 1;
  so.n_batch = std::max<int64_t>(p, 512);  // the depth prefill runs in batches too
  so.cache_type = parse_cache_type(a.get("--cache-type").value_or("f32"));
  if (auto isa = a.get("--isa")) {
    if (!parse_isa(isa->c_str(), &so.isa)) throw UsageError("unknown --isa '" + *isa + "' (scalar, avx2, avx512)");
  }
  // int8 activations are the library's default for speed (dsv4_session_params); --exact measures
  // the f32 path the golden tests check.
  so.int8_activations = !a.has("--exact");

  ModelLoadOptions mo;
  mo.repack = parse_repack(a);
  const auto load_t0 = Clock::now();
  auto model = Model::load(path, mo);
  const double load_s = seconds_since(load_t0);
  const PackedWeights &packed = *model->packed();
  std::fprintf(stderr, "bench: loaded in %.1f s; repack %s: %lld weights, %.1f MiB packed\n", load_s,
               repack_mode_name(mo.repack), static_cast<long long>(packed.n_tensors()), packed.bytes() / 1048576.0);
  Session session(*model, so);
  const int n_threads = session.n_threads();
  const ActiveWeights active = active_weights_per_token(model->file());
  const int64_t V = model->arch()->n_vocab();
  std::mt19937 rng(1234);
  std::uniform_int_distribution<int32_t> pick(0, static_cast<int32_t>(V - 1));
  std::vector<int32_t> toks(static_cast<size_t>(std::max(p, d) + n + 2));
  for (int32_t &t : toks) t = pick(rng);

  std::fprintf(stderr, "bench: %s, %d threads, isa %s, %s activations, active %.3f GB/token\n", path.c_str(),
               n_threads, isa_name(session.isa()), session.int8_activations() ? "int8" : "f32",
               static_cast<double>(active.bytes) / 1e9);
  // Untimed warm-up: pages in the weights and sizes every buffer.
  session.eval(toks.data(), std::max<int64_t>(p, 1), nullptr);
  session.eval(toks.data() + 1, 1, nullptr);
  const uint64_t rss_after_prefill = rss_anon_bytes();
  std::fprintf(stderr, "bench: anonymous RSS after load and a prefill %.1f MiB; session planned %.1f MiB\n",
               rss_after_prefill / 1048576.0, session.planned_bytes() / 1048576.0);
  session.clear();

  // The decode limit: read bandwidth sampled before and after every decode repetition (the median
  // of the samples; they move by up to 2x within seconds on a shared machine).
  BandwidthSamples bws(n_threads);
  bws.sample();
  std::vector<double> pp, tg;
  for (int64_t rep = 0; rep < r; ++rep) {
    if (p > 0) {
      session.clear();
      const auto t0 = Clock::now();
      session.eval(toks.data(), p, nullptr);
      pp.push_back(static_cast<double>(p) / seconds_since(t0));
    }
    if (n > 0) {
      session.clear();
      if (d > 0) session.eval(toks.data(), d, nullptr);
      const auto t0 = Clock::now();
      for (int64_t i = 0; i < n; ++i) session.eval(toks.data() + d + i, 1, nullptr);
      tg.push_back(static_cast<double>(n) / seconds_since(t0));
      bws.sample();
    }
    std::fprintf(stderr, "bench: repetition %lld/%lld done\n", static_cast<long long>(rep + 1),
                 static_cast<long long>(r));
  }
  if (n == 0) bws.sample();
  const double bw = bws.median();
  ThreadPool pool(n_threads);
  const double peak = measure_peak_gflop_s(pool, session.int8_activations());
  const Stat pps = stats(pp), tgs = stats(tg);
  const double tg_share = bw > 0 ? tgs.mean * static_cast<double>(active.bytes) / (bw * 1e9) : 0;
  const double pp_share = peak > 0 ? pps.mean * 2.0 * static_cast<double>(active.params) / (peak * 1e9) : 0;

  std::fprintf(stderr,
               "bench: pp%lld %.2f ± %.2f tok/s (%.1f%% of %.0f GFLOP/s)   tg%lld @ depth %lld %.2f ± %.2f tok/s "
               "(%.1f%% of the %.1f tok/s limit at %.1f GB/s, median of %d samples %.1f-%.1f)\n",
               static_cast<long long>(p), pps.mean, pps.sd, 100 * pp_share, peak, static_cast<long long>(n),
               static_cast<long long>(d), tgs.mean, tgs.sd, 100 * tg_share,
               active.bytes ? bw * 1e9 / static_cast<double>(active.bytes) : 0.0, bw, bws.count(), bws.min(),
               bws.max());
  if (a.has("--json")) {
    std::printf(
        "{\"model\": \"%s\", \"pp\": %lld, \"tg\": %lld, \"pp_tok_s\": %.4f, \"pp_tok_s_sd\": %.4f, \"tg_tok_s\": "
        "%.4f, \"tg_tok_s_sd\": %.4f, \"depth\": %lld, \"bandwidth_gb_s\": %.3f, \"peak_gflop_s\": %.2f, "
        "\"active_bytes_per_token\": %llu, \"active_params_per_token\": %llu, \"tg_share\": %.4f, \"pp_share\": "
        "%.4f, \"isa\": \"%s\", \"activations\": \"%s\", \"threads\": %d, \"repetitions\": %lld, "
        "\"rss_anon_bytes\": %llu, \"session_planned_bytes\": %llu, \"repack\": \"%s\", \"packed_bytes\": %llu, "
        "\"load_s\": %.2f, \"bandwidth_gb_s_min\": %.3f, \"bandwidth_gb_s_max\": %.3f}\n",
        path.c_str(), static_cast<long long>(p), static_cast<long long>(n), pps.mean, pps.sd, tgs.mean, tgs.sd,
        static_cast<long long>(d), bw, peak, static_cast<unsigned long long>(active.bytes),
        static_cast<unsigned long long>(active.params), tg_share, pp_share, isa_name(session.isa()),
        session.int8_activations() ? "int8" : "f32", n_threads, static_cast<long long>(r),
        static_cast<unsigned long long>(rss_after_prefill), static_cast<unsigned long long>(session.planned_bytes()),
        repack_mode_name(mo.repack), static_cast<unsigned long long>(packed.bytes()), load_s, bws.min(), bws.max());
  }
  return 0;
}

}  // namespace dsv4::cli
