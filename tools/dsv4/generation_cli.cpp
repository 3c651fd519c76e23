#include "generation_cli.h"

#include <cstdio>

#include "common/error.h"

namespace dsv4::cli {

void check(dsv4_status status) {
  if (status != DSV4_OK) throw Error(status, dsv4_last_error());
}

const std::vector<std::string> kGenerationValueFlags = {
    "--model", "-n", "--temp", "--top-k", "--top-p", "--min-p", "--repeat-penalty", "--presence-penalty",
    "--frequency-penalty", "--seed", "--ctx", "--threads", "--system", "--repack"};
const std::vector<std::string> kGenerationSwitches = {"--think"};

const char *const kGenerationFlagsHelp =
    "  -n N                   tokens to generate (-1: until end of sequence)\n"
    "  --temp T               temperature, <= 0 for greedy (0.8)\n"
    "  --top-k K              keep the K most likely tokens, 0 = off (40)\n"
    "  --top-p P              keep the most likely tokens up to mass P, 1 = off (0.95)\n"
    "  --min-p P              drop tokens below P times the top probability, 0 = off (0.05)\n"
    "  --repeat-penalty R     1 = off; --presence-penalty X, --frequency-penalty X: 0 = off\n"
    "  --seed S               random seed (0); the same seed gives the same text\n"
    "  --ctx N                context length (default min(training context, 4096))\n"
    "  --threads N            compute threads (default all)\n"
    "  --repack off|auto|on   weights copied into packed layouts at load (auto)\n"
    "  --system TEXT          system prompt (chat layouts)\n"
    "  --think                open a thinking block (<think>) for the answer (chat layouts)\n";

bool wants_help(int argc, char **argv) {
  for (int i = 0; i < argc; ++i)
    if (std::string(argv[i]) == "--help" || std::string(argv[i]) == "-h") return true;
  return false;
}

GenerationSettings read_generation_settings(const Args &a) {
  GenerationSettings s;
  s.model_path = a.require("--model");
  s.max_tokens = a.get_int("-n", 128);
  if (s.max_tokens < -1) throw UsageError("-n must be >= -1 (-1 = until end of sequence)");
  s.n_ctx = a.get_int("--ctx", 0);
  if (s.n_ctx < 0) throw UsageError("--ctx must be >= 0");
  const int64_t threads = a.get_int("--threads", 0);
  if (threads < 0 || threads > 1024) throw UsageError("--threads must be in [0, 1024]");
  s.n_threads = static_cast<uint32_t>(threads);
  s.repack = parse_repack(a);
  s.think = a.has("--think");
  s.system = a.get("--system").value_or("");
  dsv4_sampling_params &p = s.sampling;
  p.temperature = static_cast<float>(a.get_double("--temp", p.temperature));
  p.top_k = static_cast<int32_t>(a.get_int("--top-k", p.top_k));
  p.top_p = static_cast<float>(a.get_double("--top-p", p.top_p));
  p.min_p = static_cast<float>(a.get_double("--min-p", p.min_p));
  p.repeat_penalty = static_cast<float>(a.get_double("--repeat-penalty", p.repeat_penalty));
  p.presence_penalty = static_cast<float>(a.get_double("--presence-penalty", p.presence_penalty));
  p.frequency_penalty = static_cast<float>(a.get_double("--frequency-penalty", p.frequency_penalty));
  const int64_t seed = a.get_int("--seed", 0);
  if (seed < 0) throw UsageError("--seed must be >= 0");
  p.seed = static_cast<uint64_t>(seed);
  return s;
}

ModelHandle load_model(const GenerationSettings &s) {
  dsv4_model_params p = dsv4_model_params_default();
  p.repack = static_cast<uint32_t>(s.repack);
  dsv4_model *m = nullptr;
  check(dsv4_model_load(s.model_path.c_str(), &p, &m));
  return ModelHandle(m);
}

SessionHandle new_session(dsv4_model *model, const GenerationSettings &s) {
  dsv4_session_params p = dsv4_session_params_default();
  p.n_ctx = s.n_ctx;
  p.n_threads = s.n_threads;
  dsv4_session *out = nullptr;
  check(dsv4_session_init(model, &p, &out));
  return SessionHandle(out);
}

std::vector<int32_t> tokenize(dsv4_model *model, const std::string &text, uint32_t flags) {
  std::vector<int32_t> ids(text.size() + 1);
  size_t n = 0;
  check(dsv4_tokenize(model, text.data(), text.size(), flags, ids.data(), ids.size(), &n));
  ids.resize(n);
  return ids;
}

std::string format_chat(dsv4_model *model, const std::vector<dsv4_chat_message> &messages, uint32_t flags) {
  size_t need = 0;
  const dsv4_status first = dsv4_chat_format(model, messages.data(), messages.size(), flags, nullptr, 0, &need);
  if (first != DSV4_ERR_BUFFER_TOO_SMALL) check(first);
  std::string text(need, '\0');
  check(dsv4_chat_format(model, messages.data(), messages.size(), flags, text.data(), text.size(), &need));
  text.resize(need - 1);
  return text;
}

const char *chat_layout_name(dsv4_model *model) {
  int32_t layout = 0;
  check(dsv4_chat_layout(model, &layout));
  switch (layout) {
    case DSV4_CHAT_LAYOUT_DEEPSEEK_V2: return "deepseek-v2";
    case DSV4_CHAT_LAYOUT_DEEPSEEK_V3: return "deepseek-v3";
    case DSV4_CHAT_LAYOUT_DEEPSEEK_V4: return "deepseek-v4";
    default: return "unknown";
  }
}

const char *stop_reason_name(int32_t reason) {
  switch (reason) {
    case DSV4_STOP_MAX_TOKENS: return "token limit";
    case DSV4_STOP_EOS: return "end of sequence";
    case DSV4_STOP_STRING: return "stop string";
    case DSV4_STOP_CALLBACK: return "stopped by the caller";
    case DSV4_STOP_CANCELLED: return "interrupted";
    case DSV4_STOP_CONTEXT_FULL: return "context full";
    default: return "unknown";
  }
}

namespace {
double per_second(double n, double seconds) { return seconds > 0 ? n / seconds : 0.0; }
}  // namespace

void print_speeds(const dsv4_generate_result &r) {
  const int64_t evaluated = r.n_prompt - r.n_reused;
  std::fprintf(stderr, "prompt:     %lld tokens", static_cast<long long>(r.n_prompt));
  if (r.n_reused > 0) std::fprintf(stderr, " (%lld reused)", static_cast<long long>(r.n_reused));
  std::fprintf(stderr, " in %.3f s, %.1f tok/s\n", r.prefill_seconds,
               per_second(static_cast<double>(evaluated), r.prefill_seconds));
  std::fprintf(stderr, "generation: %lld tokens in %.3f s, %.1f tok/s (%s)\n", static_cast<long long>(r.n_generated),
               r.decode_seconds, per_second(static_cast<double>(r.n_generated), r.decode_seconds),
               stop_reason_name(r.stop_reason));
}

}  // namespace dsv4::cli
