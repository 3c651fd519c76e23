// dsv4 — command-line front end. One dispatcher; each subcommand lives in cmd_<name>.cpp.
#include <cstdio>
#include <cstring>
#include <exception>
#include <string>

#include "cli.h"
#include "common/error.h"
#include "dsv4/dsv4.h"

namespace {

struct Command {
  const char *name;
  int (*run)(int argc, char **argv);
  const char *summary;
};

// Later subcommands are added here, one line each.
const Command kCommands[] = {
    {"info", dsv4::cli::cmd_info, "describe a GGUF file: metadata, tensors, bytes per type, config"},
    {"logits", dsv4::cli::cmd_logits, "write f32 logits of every position of a token list"},
    {"bench", dsv4::cli::cmd_bench, "prefill and decode speed against bandwidth and peak measured in the same run"},
    {"plan", dsv4::cli::cmd_plan, "memory of weights and a session by part, from a config (will it fit?)"},
    {"make-model", dsv4::cli::cmd_make_model, "write a random-weight deepseek2/deepseek4 GGUF (preset or config.json)"},
    {"tokenize", dsv4::cli::cmd_tokenize, "print the token ids of a text (GGUF or tokenizer.json)"},
    {"detokenize", dsv4::cli::cmd_detokenize, "print the text of a token id list"},
    {"run", dsv4::cli::cmd_run, "generate text from a prompt (streams to stdout; speeds and expert histogram on stderr)"},
    {"chat", dsv4::cli::cmd_chat, "interactive multi-turn chat in the model's chat layout"},
};

void print_usage(FILE *out) {
  std::fprintf(out, "usage: dsv4 <command> [options]\n       dsv4 --version\n\ncommands:\n");
  for (const Command &c : kCommands) std::fprintf(out, "  %-12s %s\n", c.name, c.summary);
}

}  // namespace

int main(int argc, char **argv) {
  if (argc < 2) {
    print_usage(stderr);
    return 2;
  }
  std::string cmd = argv[1];
  if (cmd == "--version" || cmd == "version") {
    std::printf("dsv4 %s\n", dsv4_version());
    return 0;
  }
  if (cmd == "--help" || cmd == "-h" || cmd == "help") {
    print_usage(stdout);
    return 0;
  }
  for (const Command &c : kCommands) {
    if (cmd != c.name) continue;
    try {
      return c.run(argc - 2, argv + 2);
    } catch (const dsv4::cli::UsageError &e) {
      std::fprintf(stderr, "dsv4 %s: %s\n", c.name, e.what());
      return 2;
    } catch (const dsv4::Error &e) {
      std::fprintf(stderr, "dsv4 %s: error: %s: %s\n", c.name, dsv4_status_string(e.status()), e.what());
      return 1;
    } catch (const std::exception &e) {
      std::fprintf(stderr, "dsv4 %s: error: %s\n", c.name, e.what());
      return 1;
    }
  }
  std::fprintf(stderr, "dsv4: unknown command '%s'\n", cmd.c_str());
  print_usage(stderr);
  return 2;
}
