// What `dsv4 run` and `dsv4 chat` share: the model and session as C-ABI handles, the sampling
// flags, tokenizing, and the reports on stderr (speeds, expert histogram). Both commands use
// only the public C ABI, so they exercise exactly what an embedding host gets.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "cli.h"
#include "dsv4/dsv4.h"

namespace dsv4::cli {

// Throws dsv4::Error(status, dsv4_last_error()) unless status is DSV4_OK.
void check(dsv4_status status);

struct ModelDeleter {
  void operator()(dsv4_model *m) const { dsv4_model_free(m); }
};
struct SessionDeleter {
  void operator()(dsv4_session *s) const { dsv4_session_free(s); }
};
using ModelHandle = std::unique_ptr<dsv4_model, ModelDeleter>;
using SessionHandle = std::unique_ptr<dsv4_session, SessionDeleter>;

// The flags every generating command takes (value flags and switches, for Args), and their
// description for the commands' usage texts.
extern const std::vector<std::string> kGenerationValueFlags;
extern const std::vector<std::string> kGenerationSwitches;
extern const char *const kGenerationFlagsHelp;

// True when argv asks for --help / -h (checked before parsing, so it works with bad flags too).
bool wants_help(int argc, char **argv);

// Sampling and session settings read from those flags.
struct GenerationSettings {
  std::string model_path;
  int64_t max_tokens = 128;
  int64_t n_ctx = 0;
  uint32_t n_threads = 0;
  RepackMode repack = RepackMode::kAuto;
  bool think = false;
  std::string system;
  dsv4_sampling_params sampling = dsv4_sampling_params_default();
};
GenerationSettings read_generation_settings(const Args &args);

ModelHandle load_model(const GenerationSettings &s);
SessionHandle new_session(dsv4_model *model, const GenerationSettings &s);

std::vector<int32_t> tokenize(dsv4_model *model, const std::string &text, uint32_t flags);
// The chat layout's prompt text for these messages (dsv4_chat_format).
std::string format_chat(dsv4_model *model, const std::vector<dsv4_chat_message> &messages, uint32_t flags);
const char *chat_layout_name(dsv4_model *model);

// "prompt: …" and "generation: …" lines with token counts, seconds and tokens per second.
void print_speeds(const dsv4_generate_result &r);
const char *stop_reason_name(int32_t reason);

// Per MoE layer one line: a bar per expert scaled to the layer's busiest expert, how many
// experts were used, the busiest one's share and the effective number of experts
// (exp of the routing entropy) — a collapsing layer shows few bars and a small effective count.
void print_expert_histogram(dsv4_session *session);

}  // namespace dsv4::cli
