// dsv4 tokenize / detokenize.
//   dsv4 tokenize --model PATH (--text TEXT | --text-file F) [--bos] [--no-special]
//       prints the ids comma-separated on one line. The file is read byte for byte (no newline
//       stripped); no BOS unless --bos; special tokens are parsed unless --no-special.
//   dsv4 detokenize --model PATH --tokens LIST [--skip-special]
//       prints the text exactly (no newline added). LIST: ids separated by commas/whitespace,
//       or @FILE.
// PATH is a GGUF (loaded vocab-only: any architecture, no tensor data read) or a Hugging Face
// tokenizer.json (its tokenizer_config.json beside it is read when present).
#include <cstdio>
#include <memory>
#include <string>

#include "cli.h"
#include "common/error.h"
#include "runtime/model.h"
#include "tokenizer/tokenizer.h"

namespace dsv4::cli {
namespace {

// Keeps whatever owns the tokenizer alive next to it.
struct LoadedTokenizer {
  std::unique_ptr<Model> model;
  std::unique_ptr<Tokenizer> standalone;
  const Tokenizer *tok = nullptr;
};

bool ends_with(const std::string &s, const std::string &suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

LoadedTokenizer load_tokenizer(const std::string &path) {
  LoadedTokenizer out;
  if (ends_with(path, ".json")) {
    out.standalone = Tokenizer::from_hf_json(path);
    out.tok = out.standalone.get();
    return out;
  }
  ModelLoadOptions opts;
  opts.vocab_only = true;
  out.model = Model::load(path, opts);
  out.tok = out.model->tokenizer();
  if (!out.tok) fail(DSV4_ERR_UNSUPPORTED, path + ": the file has no tokenizer");
  return out;
}

void write_stdout(const std::string &s) {
  if (!s.empty() && std::fwrite(s.data(), 1, s.size(), stdout) != s.size())
    fail(DSV4_ERR_IO, "writing to stdout failed");
  if (std::fflush(stdout) != 0) fail(DSV4_ERR_IO, "writing to stdout failed");
}

}  // namespace

int cmd_tokenize(int argc, char **argv) {
  Args a(argc, argv, {"--model", "--text", "--text-file"}, {"--bos", "--no-special"});
  if (!a.positional().empty()) throw UsageError("unexpected argument '" + a.positional()[0] + "'");
  const std::string path = a.require("--model");
  if (a.has("--text") == a.has("--text-file")) throw UsageError("give exactly one of --text and --text-file");
  const std::string text = a.has("--text") ? *a.get("--text") : read_file(*a.get("--text-file"));

  LoadedTokenizer lt = load_tokenizer(path);
  const std::vector<int32_t> ids = lt.tok->encode(text, a.has("--bos"), !a.has("--no-special"));
  std::string line;
  for (size_t i = 0; i < ids.size(); ++i) {
    if (i) line += ',';
    line += std::to_string(ids[i]);
  }
  line += '\n';
  write_stdout(line);
  return 0;
}

int cmd_detokenize(int argc, char **argv) {
  Args a(argc, argv, {"--model", "--tokens"}, {"--skip-special"});
  if (!a.positional().empty()) throw UsageError("unexpected argument '" + a.positional()[0] + "'");
  const std::string path = a.require("--model");
  const std::vector<int32_t> ids = parse_token_list(a.require("--tokens"));

  LoadedTokenizer lt = load_tokenizer(path);
  write_stdout(lt.tok->decode(ids, a.has("--skip-special")));
  return 0;
}

}  // namespace dsv4::cli
