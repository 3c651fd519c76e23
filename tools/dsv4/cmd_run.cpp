// dsv4 run: generate from one prompt. stdout carries the generated text only (streamed, the
// prompt is not echoed); stderr the prompt and generation speeds and, at the end, the expert
// histogram. Ctrl-C stops the generation and still prints the report (exit code 130).
#include <cstdio>
#include <string>
#include <vector>

#include "cli.h"
#include "generation_cli.h"
#include "interrupt.h"

namespace dsv4::cli {

namespace {

struct Stream {
  bool ends_with_newline = true;
};

int32_t write_piece(const char *text, size_t len, int32_t, void *user) {
  if (len == 0) return 0;
  std::fwrite(text, 1, len, stdout);
  std::fflush(stdout);
  static_cast<Stream *>(user)->ends_with_newline = text[len - 1] == '\n';
  return 0;
}

}  // namespace

int cmd_run(int argc, char **argv) {
  if (wants_help(argc, argv)) {
    std::printf("usage: dsv4 run --model FILE.gguf --prompt TEXT [--chat] [--ignore-eos] [options]\n"
                "  Streams the generated text (only) to stdout; speeds and the expert histogram to stderr.\n"
                "  --chat                 wrap the prompt in the model's chat layout (else BOS as the model asks)\n"
                "  --ignore-eos           keep generating past end of sequence\n%s",
                kGenerationFlagsHelp);
    return 0;
  }
  std::vector<std::string> value_flags = kGenerationValueFlags;
  value_flags.push_back("--prompt");
  std::vector<std::string> switches = kGenerationSwitches;
  switches.push_back("--chat");
  switches.push_back("--ignore-eos");
  Args a(argc, argv, value_flags, switches);
  if (!a.positional().empty()) throw UsageError("unexpected argument '" + a.positional()[0] + "'");
  const GenerationSettings s = read_generation_settings(a);
  const std::string prompt_text = a.require("--prompt");
  const bool chat = a.has("--chat");
  if (!chat && (s.think || !s.system.empty())) throw UsageError("--think and --system need --chat");

  ModelHandle model = load_model(s);
  SessionHandle session = new_session(model.get(), s);

  // BOS: the chat layout writes it; a plain prompt gets it when the model asks for it.
  std::vector<int32_t> prompt;
  if (chat) {
    std::vector<dsv4_chat_message> messages;
    if (!s.system.empty()) messages.push_back({"system", s.system.c_str(), nullptr, nullptr, 0});
    messages.push_back({"user", prompt_text.c_str(), nullptr, nullptr, 0});
    const std::string text = format_chat(model.get(), messages, s.think ? DSV4_CHAT_THINK : 0);
    prompt = tokenize(model.get(), text, DSV4_TOKENIZE_PARSE_SPECIAL);
  } else {
    dsv4_tokenizer_info info{};
    info.struct_size = sizeof(info);
    check(dsv4_model_get_tokenizer_info(model.get(), &info));
    prompt = tokenize(model.get(), prompt_text, DSV4_TOKENIZE_PARSE_SPECIAL | (info.add_bos ? DSV4_TOKENIZE_ADD_BOS : 0));
  }

  dsv4_generate_params g = dsv4_generate_params_default();
  g.max_tokens = s.max_tokens;
  g.sampling = &s.sampling;
  g.ignore_eos = a.has("--ignore-eos") ? 1 : 0;
  dsv4_generate_result r{};
  r.struct_size = sizeof(r);
  Stream out;
  install_interrupt_handler();
  set_interrupt_target(session.get());
  const dsv4_status status = dsv4_generate(session.get(), prompt.data(), prompt.size(), &g, &r, write_piece, &out);
  set_interrupt_target(nullptr);
  if (status != DSV4_CANCELLED) check(status);
  // stdout stays the generated text alone; the report starts on a fresh line of the terminal.
  if (!out.ends_with_newline) std::fputc('\n', stderr);
  print_speeds(r);
  print_expert_histogram(session.get());
  return status == DSV4_CANCELLED ? 130 : 0;  // 130: the shell's code for "ended by Ctrl-C"
}

}  // namespace dsv4::cli
