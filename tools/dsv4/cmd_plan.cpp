// dsv4 plan (--model PATH | --preset v2-lite|v3|v4-flash|v4-pro) --context N [--cache-type
// f32|bf16|fp8] [--weights-type TYPE] [--batch N] [--snapshot-interval K]: the memory of the
// weights and of one session, by part, from the configuration alone — "will it fit" before
// downloading. One tab-separated record per line on stdout:
//   model <preset or path> <arch> / context <N> / cache_type <t> / weights_type <t>
//   weights <part> <bytes> <GiB>      attention, shared_expert, routed_experts, dense_ffn,
//                                     embeddings_head, other, total
//   session <part> <bytes> <GiB>      deepseek4: window, compressed_kv, indexer, compressor,
//                                     snapshots, scratch, logits, total; deepseek2: kv_cache, …
//   state_per_sequence <bytes> <GiB>  the decode state one sequence holds (no snapshots, scratch)
//   repacked <bytes> <GiB>            the packed copies of repack = on (not in total: mapped
//                                     weights are replaced by them, see dsv4_model_params.repack)
//   total <bytes> <GiB>               weights + session
#include <cinttypes>
#include <cstdio>
#include <memory>

#include "cli.h"
#include "format/gguf.h"
#include "model/plan.h"

namespace dsv4::cli {
namespace {

void record(const char *kind, const std::string &part, uint64_t bytes) {
  if (part.empty()) std::printf("%s\t%" PRIu64 "\t%.3f\n", kind, bytes, bytes / 1073741824.0);
  else std::printf("%s\t%s\t%" PRIu64 "\t%.3f\n", kind, part.c_str(), bytes, bytes / 1073741824.0);
}

}  // namespace

int cmd_plan(int argc, char **argv) {
  Args a(argc, argv, {"--model", "--preset", "--context", "--cache-type", "--weights-type", "--batch", "--snapshot-interval"},
         {});
  if (a.has("--model") == a.has("--preset")) throw UsageError("give exactly one of --model PATH or --preset NAME");
  PlanRequest req;
  req.context = a.get_int("--context", 0);
  if (req.context < 1) throw UsageError("--context N (>= 1) is required");
  const std::string cache = a.get("--cache-type").value_or("f32");
  req.cache_type = parse_cache_type(cache);
  req.weights_type = a.get("--weights-type").value_or("");
  req.n_batch = a.get_int("--batch", 512);
  req.snapshot_interval = a.get_int("--snapshot-interval", 4096);
  if (req.n_batch < 1) throw UsageError("--batch must be >= 1");

  MemoryPlan plan;
  std::string source;
  if (a.has("--preset")) {
    source = a.require("--preset");
    plan = plan_preset(source, req);
  } else {
    source = a.require("--model");
    gguf::OpenOptions oo;
    oo.load_data = false;  // metadata and the tensor table only
    const auto file = gguf::File::open(source, oo);
    plan = plan_file(*file, req);
  }
  std::printf("model\t%s\t%s\n", source.c_str(), plan.arch.c_str());
  std::printf("context\t%" PRId64 "\n", req.context);
  std::printf("cache_type\t%s\n", cache.c_str());
  std::printf("weights_type\t%s\n", plan.weights_type.c_str());
  for (const PlanPart &p : plan.weights) record("weights", p.name, p.bytes);
  record("weights", "total", plan.weights_total());
  for (const PlanPart &p : plan.session) record("session", p.name, p.bytes);
  record("session", "total", plan.session_total());
  record("state_per_sequence", "", plan.state_per_sequence);
  record("repacked", "", plan.repacked);
  record("total", "", plan.weights_total() + plan.session_total());
  return 0;
}

}  // namespace dsv4::cli
