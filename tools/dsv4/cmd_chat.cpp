// dsv4 chat: an interactive, multi-turn conversation in the model's chat layout. Answers
// stream to stdout; prompts, speeds and notices go to stderr. Each turn resends the whole
// conversation, and the session reuses the part it already holds, so a turn costs only its
// new tokens. Ctrl-C stops the answer being written (the conversation goes on); Ctrl-C twice
// at the prompt, Ctrl-D or /exit quits; /reset starts a new conversation.
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <string>
#include <vector>

#include "cli.h"
#include "generation_cli.h"
#include "interrupt.h"

namespace dsv4::cli {

namespace {

enum class Input { kLine, kEnd, kInterrupted };

// One line from stdin with read(2), so a Ctrl-C at the prompt interrupts the wait (EINTR).
Input read_line(std::string &line) {
  line.clear();
  for (;;) {
    char c = 0;
    const ssize_t n = ::read(STDIN_FILENO, &c, 1);
    if (n == 1) {
      if (c == '\n') return Input::kLine;
      line += c;
    } else if (n == 0) {
      return line.empty() ? Input::kEnd : Input::kLine;
    } else if (errno == EINTR) {
      return Input::kInterrupted;
    } else {
      return Input::kEnd;
    }
  }
}

struct Answer {
  std::string text;
};

int32_t stream_answer(const char *text, size_t len, int32_t, void *user) {
  std::fwrite(text, 1, len, stdout);
  std::fflush(stdout);
  static_cast<Answer *>(user)->text.append(text, len);
  return 0;
}

// One conversation turn as the formatter's C records; the strings live in Turn.
struct Turn {
  std::string role, content, reasoning;
};

std::vector<dsv4_chat_message> as_messages(const std::vector<Turn> &turns) {
  std::vector<dsv4_chat_message> out;
  for (const Turn &t : turns)
    out.push_back({t.role.c_str(), t.content.c_str(), t.reasoning.empty() ? nullptr : t.reasoning.c_str(), nullptr, 0});
  return out;
}

// A thinking answer is "{reasoning}</think>{answer}"; the layouts want the two apart.
Turn assistant_turn(const std::string &text) {
  const std::string close = "</think>";
  const size_t at = text.find(close);
  if (at == std::string::npos) return {"assistant", text, ""};
  return {"assistant", text.substr(at + close.size()), text.substr(0, at)};
}

}  // namespace

int cmd_chat(int argc, char **argv) {
  if (wants_help(argc, argv)) {
    std::printf("usage: dsv4 chat --model FILE.gguf [options]\n"
                "  Interactive chat in the model's chat layout; -n defaults to -1 (answer until it ends).\n"
                "  Ctrl-C stops an answer; Ctrl-C twice at the prompt, Ctrl-D or /exit quits; /reset starts over.\n%s",
                kGenerationFlagsHelp);
    return 0;
  }
  Args a(argc, argv, kGenerationValueFlags, kGenerationSwitches);
  if (!a.positional().empty()) throw UsageError("unexpected argument '" + a.positional()[0] + "'");
  GenerationSettings s = read_generation_settings(a);
  if (!a.has("-n")) s.max_tokens = -1;  // answer until end of sequence (or the context is full)

  ModelHandle model = load_model(s);
  SessionHandle session = new_session(model.get(), s);
  std::fprintf(stderr,
               "dsv4 chat (%s layout). Type a message and press Enter. Ctrl-C stops an answer; "
               "Ctrl-C twice, Ctrl-D or /exit quits; /reset starts over.\n",
               chat_layout_name(model.get()));

  std::vector<Turn> turns;
  if (!s.system.empty()) turns.push_back({"system", s.system, ""});
  const size_t n_fixed = turns.size();
  const uint32_t flags = s.think ? DSV4_CHAT_THINK : 0;
  dsv4_generate_params g = dsv4_generate_params_default();
  g.max_tokens = s.max_tokens;
  g.sampling = &s.sampling;
  install_interrupt_handler();

  bool quit_armed = false;
  std::string line;
  for (;;) {
    std::fprintf(stderr, "\n> ");
    std::fflush(stderr);
    reset_interrupts();
    const Input in = read_line(line);
    if (in == Input::kInterrupted) {
      if (quit_armed) break;
      quit_armed = true;
      std::fprintf(stderr, "\n(Ctrl-C again to quit)");
      continue;
    }
    quit_armed = false;
    if (in == Input::kEnd || line == "/exit") break;
    if (line == "/reset") {
      turns.resize(n_fixed);
      std::fprintf(stderr, "(new conversation)");
      continue;
    }
    if (line.empty()) continue;

    turns.push_back({"user", line, ""});
    const std::vector<int32_t> prompt =
        tokenize(model.get(), format_chat(model.get(), as_messages(turns), flags), DSV4_TOKENIZE_PARSE_SPECIAL);
    Answer answer;
    dsv4_generate_result r{};
    r.struct_size = sizeof(r);
    set_interrupt_target(session.get());
    const dsv4_status status = dsv4_generate(session.get(), prompt.data(), prompt.size(), &g, &r, stream_answer, &answer);
    set_interrupt_target(nullptr);
    if (status == DSV4_ERR_CONTEXT_FULL) {
      turns.pop_back();
      std::fprintf(stderr, "(the conversation no longer fits the context; /reset to start over)");
      continue;
    }
    if (status != DSV4_CANCELLED) check(status);
    turns.push_back(assistant_turn(answer.text));
    std::fprintf(stderr, "\n[%lld tokens, %.1f tok/s; prompt %lld new of %lld tokens%s]",
                 static_cast<long long>(r.n_generated), r.decode_seconds > 0 ? r.n_generated / r.decode_seconds : 0.0,
                 static_cast<long long>(r.n_prompt - r.n_reused), static_cast<long long>(r.n_prompt),
                 status == DSV4_CANCELLED ? "; interrupted" : "");
  }
  std::fprintf(stderr, "\n");
  print_expert_histogram(session.get());
  return 0;
}

}  // namespace dsv4::cli
