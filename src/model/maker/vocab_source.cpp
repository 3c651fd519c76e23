#include "model/maker/vocab_source.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <unordered_map>

#include "common/error.h"
#include "tokenizer/byte_level.h"

namespace dsv4::maker {

namespace {

using json = nlohmann::json;

// llama.cpp's token types (llama_token_type).
constexpr int64_t kNormal = 1, kControl = 3, kUserDefined = 4, kUnused = 5;

gguf::Value string_value(std::string s) {
  gguf::Value v;
  v.type = gguf::ValueType::STRING;
  v.s = std::move(s);
  return v;
}
gguf::Value u32_value(int64_t x) {
  gguf::Value v;
  v.type = gguf::ValueType::U32;
  v.i = x;
  return v;
}
gguf::Value bool_value(bool b) {
  gguf::Value v;
  v.type = gguf::ValueType::BOOL;
  v.i = b ? 1 : 0;
  return v;
}
gguf::Value string_array(std::vector<std::string> items) {
  gguf::Value v;
  v.type = gguf::ValueType::ARRAY;
  v.elem = gguf::ValueType::STRING;
  v.strings = std::move(items);
  return v;
}
gguf::Value i32_array(std::vector<int64_t> items) {
  gguf::Value v;
  v.type = gguf::ValueType::ARRAY;
  v.elem = gguf::ValueType::I32;
  v.ints = std::move(items);
  return v;
}

std::string read_text(const std::string &path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) fail(DSV4_ERR_IO, "cannot open '" + path + "'");
  std::ostringstream ss;
  ss << in.rdbuf();
  if (in.bad()) fail(DSV4_ERR_IO, "cannot read '" + path + "'");
  return ss.str();
}

json parse_json(const std::string &text, const std::string &path) {
  try {
    return json::parse(text);
  } catch (const json::exception &e) {
    fail(DSV4_ERR_FORMAT, path + ": not valid JSON: " + e.what());
  }
}

// The text of a tokenizer_config.json special-token entry: a string or {"content": …}.
std::optional<std::string> special_token_text(const json &config, const char *key) {
  if (!config.contains(key)) return std::nullopt;
  const json &v = config.at(key);
  if (v.is_string()) return v.get<std::string>();
  if (v.is_object() && v.contains("content") && v.at("content").is_string()) return v.at("content").get<std::string>();
  return std::nullopt;
}

// The common tail of built vocabularies: special ids and add_* flags.
struct Specials {
  std::optional<int64_t> bos, eos, pad;
  std::optional<bool> add_bos, add_eos;
};

VocabKeys assemble(std::vector<std::string> tokens, std::vector<int64_t> types, std::vector<std::string> merges,
                   const Specials &sp) {
  VocabKeys v;
  v.n_tokens = static_cast<int64_t>(tokens.size());
  v.keys.push_back({"tokenizer.ggml.model", string_value("gpt2")});
  v.keys.push_back({"tokenizer.ggml.pre", string_value("deepseek-v3")});
  v.keys.push_back({"tokenizer.ggml.tokens", string_array(std::move(tokens))});
  v.keys.push_back({"tokenizer.ggml.token_type", i32_array(std::move(types))});
  v.keys.push_back({"tokenizer.ggml.merges", string_array(std::move(merges))});
  if (sp.bos) v.keys.push_back({"tokenizer.ggml.bos_token_id", u32_value(*sp.bos)});
  if (sp.eos) v.keys.push_back({"tokenizer.ggml.eos_token_id", u32_value(*sp.eos)});
  if (sp.pad) v.keys.push_back({"tokenizer.ggml.padding_token_id", u32_value(*sp.pad)});
  if (sp.add_bos) v.keys.push_back({"tokenizer.ggml.add_bos_token", bool_value(*sp.add_bos)});
  if (sp.add_eos) v.keys.push_back({"tokenizer.ggml.add_eos_token", bool_value(*sp.add_eos)});
  return v;
}

}  // namespace

VocabKeys vocab_from_gguf(const std::string &path) {
  gguf::OpenOptions opts;
  opts.load_data = false;
  const std::unique_ptr<gguf::File> f = gguf::File::open(path, opts);
  VocabKeys v;
  for (const gguf::KeyValue &kv : f->metadata())
    if (kv.key.rfind("tokenizer.", 0) == 0) v.keys.push_back(kv);
  const std::vector<std::string> *tokens = f->get_string_array("tokenizer.ggml.tokens");
  if (!tokens || tokens->empty())
    fail(DSV4_ERR_FORMAT, path + ": no tokenizer.ggml.tokens (not a vocabulary GGUF)");
  v.n_tokens = static_cast<int64_t>(tokens->size());
  return v;
}

VocabKeys vocab_from_tokenizer_json(const std::string &path, int64_t pad_to) {
  const json tj = parse_json(read_text(path), path);
  const auto bad = [&](const std::string &what) { fail(DSV4_ERR_FORMAT, path + ": " + what); };
  if (!tj.is_object() || !tj.contains("model") || !tj.at("model").is_object()) bad("no \"model\" object");
  const json &model = tj.at("model");
  if (model.value("type", std::string()) != "BPE") bad("model.type is not \"BPE\"");
  if (!model.contains("vocab") || !model.at("vocab").is_object()) bad("model.vocab is not an object");

  std::unordered_map<std::string, int64_t> id_of;
  int64_t max_id = -1;
  const auto note = [&](const std::string &text, const json &id_json) {
    if (!id_json.is_number_integer() || id_json.get<int64_t>() < 0) bad("token '" + text + "' has a bad id " + id_json.dump());
    const int64_t id = id_json.get<int64_t>();
    id_of[text] = id;
    max_id = std::max(max_id, id);
    return id;
  };
  for (const auto &[text, id] : model.at("vocab").items()) note(text, id);
  struct Added {
    int64_t id;
    std::string text;
    bool special;
  };
  std::vector<Added> added;
  if (tj.contains("added_tokens") && tj.at("added_tokens").is_array())
    for (const json &a : tj.at("added_tokens")) {
      if (!a.is_object() || !a.contains("id") || !a.contains("content") || !a.at("content").is_string())
        bad("an added_tokens entry lacks id/content");
      const std::string text = a.at("content").get<std::string>();
      added.push_back({note(text, a.at("id")), text, a.value("special", false)});
    }

  if (max_id < 0) bad("the vocabulary is empty");
  const int64_t n = std::max(pad_to, max_id + 1);
  std::vector<std::string> tokens(static_cast<size_t>(n));
  std::vector<int64_t> types(static_cast<size_t>(n), 0);
  for (const auto &[text, id] : model.at("vocab").items()) {
    tokens[id.get<size_t>()] = text;
    types[id.get<size_t>()] = kNormal;
  }
  for (const Added &a : added) {
    tokens[static_cast<size_t>(a.id)] = a.text;
    types[static_cast<size_t>(a.id)] = a.special ? kControl : kUserDefined;
  }
  for (int64_t i = 0; i < n; ++i)
    if (types[static_cast<size_t>(i)] == 0) {  // ids the file leaves out: padding, as the converter writes it
      tokens[static_cast<size_t>(i)] = "[PAD" + std::to_string(i) + "]";
      types[static_cast<size_t>(i)] = kUnused;
    }

  std::vector<std::string> merges;
  if (model.contains("merges")) {
    if (!model.at("merges").is_array()) bad("model.merges is not a list");
    merges.reserve(model.at("merges").size());
    for (const json &m : model.at("merges")) {
      if (m.is_string()) merges.push_back(m.get<std::string>());
      else if (m.is_array() && m.size() == 2 && m[0].is_string() && m[1].is_string())
        merges.push_back(m[0].get<std::string>() + " " + m[1].get<std::string>());
      else bad("a merge is neither \"a b\" nor [\"a\", \"b\"]: " + m.dump());
    }
  }

  Specials sp;
  const std::filesystem::path config_path = std::filesystem::path(path).parent_path() / "tokenizer_config.json";
  if (std::filesystem::exists(config_path)) {
    const json cfg = parse_json(read_text(config_path.string()), config_path.string());
    const auto id_for = [&](const char *key) -> std::optional<int64_t> {
      const auto text = special_token_text(cfg, key);
      if (!text) return std::nullopt;
      const auto it = id_of.find(*text);
      if (it == id_of.end())
        fail(DSV4_ERR_FORMAT, config_path.string() + ": " + key + " '" + *text + "' is not in " + path);
      return it->second;
    };
    sp.bos = id_for("bos_token");
    sp.eos = id_for("eos_token");
    sp.pad = id_for("pad_token");
    if (cfg.contains("add_bos_token") && cfg.at("add_bos_token").is_boolean()) sp.add_bos = cfg.at("add_bos_token").get<bool>();
    if (cfg.contains("add_eos_token") && cfg.at("add_eos_token").is_boolean()) sp.add_eos = cfg.at("add_eos_token").get<bool>();
  }
  return assemble(std::move(tokens), std::move(types), std::move(merges), sp);
}

VocabKeys vocab_synthetic(int64_t n_tokens, bool add_bos) {
  std::vector<std::string> tokens = {"<｜begin▁of▁sentence｜>", "<｜end▁of▁sentence｜>", "<｜▁pad▁｜>"};
  std::vector<int64_t> types = {kControl, kControl, kControl};
  // GPT-2's order: the bytes that stand for themselves first, then the remapped ones.
  for (int pass = 0; pass < 2; ++pass)
    for (int b = 0; b < 256; ++b) {
      const bool self = byte_level::code_point_of(static_cast<uint8_t>(b)) == static_cast<uint32_t>(b);
      if (self != (pass == 0)) continue;
      tokens.push_back(byte_level::text_of(static_cast<uint8_t>(b)));
      types.push_back(kNormal);
    }
  for (int64_t i = static_cast<int64_t>(tokens.size()); i < n_tokens; ++i) {
    tokens.push_back("[PAD" + std::to_string(i) + "]");
    types.push_back(kUnused);
  }
  Specials sp;
  sp.bos = 0;
  sp.eos = 1;
  sp.pad = 1;
  sp.add_bos = add_bos;
  sp.add_eos = false;
  return assemble(std::move(tokens), std::move(types), {}, sp);
}

VocabKeys load_vocab(const std::string &path, int64_t pad_to) {
  char magic[4] = {};
  std::FILE *f = std::fopen(path.c_str(), "rb");
  if (!f) fail(DSV4_ERR_IO, "cannot open vocabulary '" + path + "'");
  const size_t got = std::fread(magic, 1, 4, f);
  std::fclose(f);
  if (got == 4 && std::string(magic, 4) == "GGUF") return vocab_from_gguf(path);
  return vocab_from_tokenizer_json(path, pad_to);
}

}  // namespace dsv4::maker
