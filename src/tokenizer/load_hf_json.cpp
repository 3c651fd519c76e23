// Tokenizer::from_hf_json: a Hugging Face `tokenizers` tokenizer.json with a byte-level BPE
// model (spec/ggml-formats.md §5.6), plus tokenizer_config.json for BOS/EOS and add_bos_token.
// Only what the DeepSeek files use is accepted; anything that would change ids and is not
// implemented is refused with DSV4_ERR_UNSUPPORTED naming it, never silently ignored.
#include <cctype>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <nlohmann/json.hpp>
#include <sstream>

#include "common/error.h"
#include "tokenizer/tokenizer.h"

namespace dsv4 {
namespace {

using json = nlohmann::json;

// GPT-2's pre-tokenizer regex, which a ByteLevel step with use_regex = true applies.
constexpr const char *kGpt2Regex =
    "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+";

std::string read_text_file(const std::string &path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) fail(DSV4_ERR_IO, "cannot open " + path + ": " + std::strerror(errno));
  std::ostringstream ss;
  ss << in.rdbuf();
  if (in.bad()) fail(DSV4_ERR_IO, "cannot read " + path);
  return ss.str();
}

// A literal string as a PCRE2 pattern: ASCII punctuation is escaped, everything else stands
// for itself.
std::string escape_literal(std::string_view s) {
  std::string out;
  for (char c : s) {
    auto u = static_cast<unsigned char>(c);
    if (u < 0x80 && !std::isalnum(u) && c != ' ') out.push_back('\\');
    out.push_back(c);
  }
  return out;
}

bool is_null_or(const json &obj, const char *key, const json &allowed) {
  auto it = obj.find(key);
  return it == obj.end() || it->is_null() || *it == allowed;
}

class HfLoader {
 public:
  HfLoader(std::string source) : src_(std::move(source)) {}

  TokenizerSpec load(const json &tok, const json *config) {
    check_format(tok.is_object(), src_ + ": not a JSON object");
    read_model(tok.at("model"));
    read_added_tokens(tok.value("added_tokens", json::array()));
    check_normalizer(tok.value("normalizer", json()));
    read_pre_tokenizer(tok.value("pre_tokenizer", json()));
    check_decoder(tok.value("decoder", json()));
    build_vocab();
    if (config) read_config(*config);
    spec_.source = src_;
    spec_.pre_name = "tokenizer.json";
    return std::move(spec_);
  }

 private:
  [[noreturn]] void unsupported(const std::string &what) {
    fail(DSV4_ERR_UNSUPPORTED, src_ + ": " + what + " is not supported");
  }

  void read_model(const json &m) {
    std::string type = m.value("type", "BPE");
    if (type != "BPE") unsupported("model type '" + type + "' (only byte-level BPE)");
    if (!is_null_or(m, "dropout", 0.0)) unsupported("BPE dropout");
    if (m.value("byte_fallback", false)) unsupported("BPE byte_fallback");
    if (m.value("ignore_merges", false)) unsupported("BPE ignore_merges");
    if (!is_null_or(m, "continuing_subword_prefix", "")) unsupported("BPE continuing_subword_prefix");
    if (!is_null_or(m, "end_of_word_suffix", "")) unsupported("BPE end_of_word_suffix");

    const json &vocab = m.at("vocab");
    check_format(vocab.is_object(), src_ + ": model.vocab is not an object");
    for (auto it = vocab.begin(); it != vocab.end(); ++it) {
      int64_t id = it.value().get<int64_t>();
      check_format(id >= 0 && id < std::numeric_limits<int32_t>::max(),
                   src_ + ": model.vocab['" + it.key() + "'] = " + std::to_string(id) + " is not a valid id");
      place(static_cast<int32_t>(id), it.key(), TokenType::Normal, "model.vocab");
    }

    const json &merges = m.at("merges");
    check_format(merges.is_array(), src_ + ": model.merges is not an array");
    spec_.merges.reserve(merges.size());
    for (size_t i = 0; i < merges.size(); ++i) {
      const json &e = merges[i];
      if (e.is_string()) {  // "left right"
        const std::string &s = e.get_ref<const std::string &>();
        size_t sep = s.find(' ', 1);
        check_format(sep != std::string::npos && s.find(' ', sep + 1) == std::string::npos,
                     src_ + ": model.merges[" + std::to_string(i) + "] = '" + s + "' is not two tokens");
        spec_.merges.emplace_back(s.substr(0, sep), s.substr(sep + 1));
      } else {  // ["left", "right"] (newer tokenizers versions)
        check_format(e.is_array() && e.size() == 2 && e[0].is_string() && e[1].is_string(),
                     src_ + ": model.merges[" + std::to_string(i) + "] is neither \"a b\" nor [\"a\", \"b\"]");
        spec_.merges.emplace_back(e[0].get<std::string>(), e[1].get<std::string>());
      }
    }
  }

  void read_added_tokens(const json &added) {
    check_format(added.is_array(), src_ + ": added_tokens is not an array");
    for (const json &a : added) {
      int64_t id = a.at("id").get<int64_t>();
      std::string content = a.at("content").get<std::string>();
      check_format(id >= 0 && id < std::numeric_limits<int32_t>::max(),
                   src_ + ": added token '" + content + "' has invalid id " + std::to_string(id));
      for (const char *flag : {"lstrip", "rstrip", "single_word"})
        if (a.value(flag, false)) unsupported(std::string("added token '") + content + "' with " + flag + " = true");
      // An added token replaces whatever model.vocab has at its id (HF looks added tokens up first).
      auto &slot = slot_of(static_cast<int32_t>(id));
      slot.text = std::move(content);
      slot.type = a.value("special", false) ? TokenType::Control : TokenType::UserDefined;
      slot.set = true;
    }
  }

  void check_normalizer(const json &n) {
    if (n.is_null()) return;
    std::string type = n.value("type", "");
    if (type == "Sequence" && n.value("normalizers", json::array()).empty()) return;
    unsupported("normalizer '" + type + "'");
  }

  void read_pre_tokenizer(const json &p) {
    if (p.is_null()) unsupported("a missing pre_tokenizer (byte-level BPE needs a ByteLevel step)");
    std::vector<json> steps;
    if (p.value("type", "") == "Sequence")
      for (const json &s : p.at("pretokenizers")) steps.push_back(s);
    else
      steps.push_back(p);
    bool byte_level = false;
    for (const json &s : steps) {
      std::string type = s.value("type", "");
      if (byte_level) unsupported("pre_tokenizer step '" + type + "' after ByteLevel");
      if (type == "Split") {
        if (s.value("behavior", "") != "Isolated") unsupported("Split behavior '" + s.value("behavior", "") + "'");
        if (s.value("invert", false)) unsupported("Split with invert = true");
        const json &pat = s.at("pattern");
        if (pat.contains("Regex"))
          spec_.pre_regexes.push_back(pat.at("Regex").get<std::string>());
        else if (pat.contains("String"))
          spec_.pre_regexes.push_back(escape_literal(pat.at("String").get<std::string>()));
        else
          unsupported("Split pattern " + pat.dump());
      } else if (type == "ByteLevel") {
        if (s.value("add_prefix_space", false)) unsupported("ByteLevel add_prefix_space = true");
        if (s.value("use_regex", true)) spec_.pre_regexes.push_back(kGpt2Regex);
        byte_level = true;
      } else {
        unsupported("pre_tokenizer step '" + type + "'");
      }
    }
    if (!byte_level) unsupported("a pre_tokenizer without a ByteLevel step");
  }

  void check_decoder(const json &d) {
    if (d.is_null() || d.value("type", "") == "ByteLevel") return;
    unsupported("decoder '" + d.value("type", "") + "'");
  }

  void build_vocab() {
    check_format(!slots_.empty(), src_ + ": the vocabulary is empty");
    spec_.tokens.reserve(slots_.size());
    spec_.types.reserve(slots_.size());
    for (Slot &s : slots_) {
      spec_.tokens.push_back(std::move(s.text));
      spec_.types.push_back(s.set ? s.type : TokenType::Unused);  // an id nobody names: padding
    }
  }

  // bos_token etc. are a string or an AddedToken object {"content": …}; null means none.
  int32_t config_token(const json &config, const char *key) {
    auto it = config.find(key);
    if (it == config.end() || it->is_null()) return -1;
    std::string text = it->is_string() ? it->get<std::string>() : it->at("content").get<std::string>();
    for (size_t id = 0; id < spec_.tokens.size(); ++id)
      if (spec_.tokens[id] == text && spec_.types[id] != TokenType::Unused) return static_cast<int32_t>(id);
    fail(DSV4_ERR_FORMAT, src_ + ": tokenizer_config.json " + key + " '" + text + "' is not a token");
  }

  void read_config(const json &config) {
    check_format(config.is_object(), src_ + ": tokenizer_config.json is not a JSON object");
    spec_.bos = config_token(config, "bos_token");
    spec_.eos = config_token(config, "eos_token");
    spec_.pad = config_token(config, "pad_token");
    auto add_bos = config.find("add_bos_token");
    spec_.add_bos = add_bos != config.end() && add_bos->is_boolean() && add_bos->get<bool>();
  }

  struct Slot {
    std::string text;
    TokenType type = TokenType::Unused;
    bool set = false;
  };

  Slot &slot_of(int32_t id) {
    if (static_cast<size_t>(id) >= slots_.size()) slots_.resize(static_cast<size_t>(id) + 1);
    return slots_[id];
  }

  void place(int32_t id, const std::string &text, TokenType type, const char *where) {
    Slot &s = slot_of(id);
    check_format(!s.set, src_ + ": " + where + " gives id " + std::to_string(id) + " to both '" + s.text +
                             "' and '" + text + "'");
    s = Slot{text, type, true};
  }

  std::string src_;
  TokenizerSpec spec_;
  std::vector<Slot> slots_;
};

}  // namespace

std::unique_ptr<Tokenizer> Tokenizer::from_hf_json_text(std::string_view tokenizer_json, std::string_view config_json,
                                                        const std::string &source) {
  json config;
  if (!config_json.empty()) {
    try {
      config = json::parse(config_json);
    } catch (const json::exception &e) {
      fail(DSV4_ERR_FORMAT, source + ": tokenizer_config.json beside it: " + e.what());
    }
  }
  TokenizerSpec spec;
  try {
    json tok = json::parse(tokenizer_json);
    spec = HfLoader(source).load(tok, config_json.empty() ? nullptr : &config);
  } catch (const json::exception &e) {
    // Wrong JSON syntax, a missing member or a member of the wrong type.
    fail(DSV4_ERR_FORMAT, source + ": " + e.what());
  }
  return std::make_unique<Tokenizer>(std::move(spec));
}

std::unique_ptr<Tokenizer> Tokenizer::from_hf_json(const std::string &path) {
  std::string text = read_text_file(path);
  std::filesystem::path config_path = std::filesystem::path(path).parent_path() / "tokenizer_config.json";
  std::string config;
  std::error_code ec;
  if (std::filesystem::is_regular_file(config_path, ec)) config = read_text_file(config_path.string());
  return from_hf_json_text(text, config, path);
}

}  // namespace dsv4
