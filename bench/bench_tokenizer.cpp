// Encode throughput of the DeepSeek-V3 tokenizer (vocab/ggml-vocab-deepseek-v3.gguf), single
// thread, on text assembled here (no downloaded corpora):
//   prose       English sentences, words drawn Zipf-like from a list of common words — the
//               usual case, where most pieces hit the word cache;
//   prose_cold  the same sentence shapes with invented words, so nearly every piece misses the
//               cache and goes through BPE — the worst case for plain text;
//   cjk_code    Chinese / Japanese sentences interleaved with C++ and Python snippets.
// Bytes/s via SetBytesProcessed. Figures: bench/RESULTS.md.
#include <benchmark/benchmark.h>

#include <cctype>
#include <cmath>
#include <cstdlib>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "format/gguf.h"
#include "tokenizer/tokenizer.h"

namespace {

std::string testdata_dir() {
  if (const char *env = std::getenv("DSV4_TESTDATA"); env && *env) return env;
  return std::string(DSV4_SOURCE_DIR) + "/../shared/testdata";
}

const dsv4::Tokenizer &tokenizer() {
  static std::unique_ptr<dsv4::Tokenizer> tok = [] {
    dsv4::gguf::OpenOptions opts;
    opts.load_data = false;
    auto file = dsv4::gguf::File::open(testdata_dir() + "/vocab/ggml-vocab-deepseek-v3.gguf", opts);
    return dsv4::Tokenizer::from_gguf(*file);
  }();
  return *tok;
}

constexpr size_t kCorpusBytes = 1 << 20;

const char *const kWords[] = {
    "the", "of", "and", "to", "a", "in", "that", "is", "was", "he", "for", "it", "with", "as", "his", "on", "be",
    "at", "by", "had", "are", "but", "from", "or", "have", "an", "they", "which", "one", "you", "were", "her",
    "all", "she", "there", "would", "their", "we", "him", "been", "has", "when", "who", "will", "more", "no",
    "if", "out", "so", "said", "what", "up", "its", "about", "into", "than", "them", "can", "only", "other",
    "new", "some", "could", "time", "these", "two", "may", "then", "do", "first", "any", "my", "now", "such",
    "like", "our", "over", "man", "me", "even", "most", "made", "after", "also", "did", "many", "before",
    "must", "through", "back", "years", "where", "much", "your", "way", "well", "down", "should", "because",
    "each", "just", "those", "people", "how", "too", "little", "state", "good", "very", "make", "world",
    "still", "own", "see", "men", "work", "long", "get", "here", "between", "both", "life", "being", "under",
    "never", "day", "same", "another", "know", "while", "last", "might", "us", "great", "old", "year", "off",
    "come", "since", "against", "go", "came", "right", "used", "take", "three", "himself", "few", "house",
    "use", "during", "without", "again", "place", "around", "however", "home", "small", "found", "thought",
    "went", "say", "part", "once", "general", "high", "upon", "school", "every", "don't", "does", "got",
    "united", "left", "number", "course", "war", "until", "always", "away", "something", "fact", "though",
    "water", "less", "public", "put", "think", "almost", "hand", "enough", "far", "took", "head", "yet",
    "government", "system", "better", "set", "told", "nothing", "night", "end", "why", "called", "didn't",
    "eyes", "find", "going", "look", "asked", "later", "knew", "point", "next", "program", "city", "business",
    "give", "group", "toward", "young", "let", "room", "president", "side", "social", "present", "given",
    "several", "order", "national", "possible", "rather", "second", "face", "per", "among", "form", "important",
    "often", "things", "looked", "early", "white", "case", "become", "large", "need", "big", "four", "within",
    "felt", "children", "along", "saw", "best", "church", "ever", "least", "power", "development", "light",
    "thing", "seemed", "family", "interest", "want", "members", "mind", "country", "area", "others", "done",
    "turned", "although", "open", "problem", "began", "door", "sense", "service", "whole", "certain", "help",
    "matter", "question", "itself", "kind", "economic", "local", "behind", "feet", "tried", "moment", "period",
    "village", "river", "morning", "history", "language", "evening", "mountain", "library", "machine",
    "understanding", "remarkable", "particularly", "conversation", "independent", "experience", "knowledge",
};

const char *const kSyllables[] = {"ka", "lo", "mi", "ren", "tas", "vo", "quil", "dra", "bex", "sol", "unt",
                                  "pha", "gri", "zen", "mor", "tiv", "ash", "elk", "nyx", "obr", "pur", "sle"};

// Sentences of 6..20 words, capitalised, with commas, the odd number and paragraph breaks.
template <class WordFn>
std::string make_prose(uint32_t seed, WordFn word) {
  std::mt19937 rng(seed);
  std::string out;
  while (out.size() < kCorpusBytes) {
    int n = 6 + static_cast<int>(rng() % 15);
    for (int i = 0; i < n; ++i) {
      std::string w = word(rng);
      if (i == 0) w[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(w[0])));
      out += w;
      if (i + 1 < n) out += (rng() % 9 == 0) ? ", " : " ";
      if (rng() % 40 == 0) out += std::to_string(rng() % 2000) + " ";
    }
    out += (rng() % 8 == 0) ? "?" : ".";
    out += (rng() % 6 == 0) ? "\n\n" : " ";
  }
  return out;
}

std::string prose_corpus() {
  constexpr size_t n = sizeof(kWords) / sizeof(kWords[0]);
  return make_prose(1, [](std::mt19937 &rng) {
    // Zipf-like: an index drawn as n^u for uniform u favours the first (most common) words.
    double u = std::uniform_real_distribution<double>(0.0, 1.0)(rng);
    size_t i = static_cast<size_t>(std::pow(static_cast<double>(n), u)) - 1;
    return std::string(kWords[i < n ? i : n - 1]);
  });
}

std::string prose_cold_corpus() {
  constexpr size_t n = sizeof(kSyllables) / sizeof(kSyllables[0]);
  return make_prose(2, [](std::mt19937 &rng) {
    std::string w;
    int syllables = 2 + static_cast<int>(rng() % 3);  // 22^2..22^4 words: the cache rarely hits
    for (int s = 0; s < syllables; ++s) w += kSyllables[rng() % n];
    return w;
  });
}

std::string cjk_code_corpus() {
  const char *const parts[] = {
      "深度求索发布了新的模型，它在推理和代码生成方面都有明显的进步。",
      "我们在多个基准测试上评估了模型的性能，并与其他开源模型进行了比较。",
      "日本語のテキストです。カタカナとひらがなを混ぜて書きます。",
      "東京の天気は晴れで、気温は二十五度です。",
      "int main(int argc, char **argv) {\n  std::vector<int> v(argc);\n  for (int i = 0; i < argc; ++i) v[i] = "
      "std::atoi(argv[i]);\n  return v.empty() ? 0 : v[0];\n}\n",
      "def tokenize(text: str) -> list[int]:\n    ids = []\n    for piece in split(text):\n        "
      "ids.extend(bpe(piece))\n    return ids\n",
      "// 计算矩阵乘法的结果\nfor (size_t r = 0; r < rows; ++r) sum += a[r * cols + c] * b[c];\n",
      "한국어 텍스트도 조금 포함합니다. ",
      "配置文件 config.json 中的 \"max_tokens\": 4096 表示最大长度。\n",
  };
  constexpr size_t n = sizeof(parts) / sizeof(parts[0]);
  std::mt19937 rng(3);
  std::string out;
  while (out.size() < kCorpusBytes) out += parts[rng() % n];
  return out;
}

void run(benchmark::State &state, const std::string &text) {
  const dsv4::Tokenizer &tok = tokenizer();
  size_t n_tokens = 0;
  for (auto _ : state) {
    std::vector<int32_t> ids = tok.encode(text, false, true);
    n_tokens = ids.size();
    benchmark::DoNotOptimize(ids.data());
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * static_cast<int64_t>(text.size()));
  state.counters["bytes_per_token"] = static_cast<double>(text.size()) / static_cast<double>(n_tokens);
}

void BM_encode_prose(benchmark::State &state) {
  static const std::string text = prose_corpus();
  run(state, text);
}
void BM_encode_prose_cold(benchmark::State &state) {
  static const std::string text = prose_cold_corpus();
  run(state, text);
}
void BM_encode_cjk_code(benchmark::State &state) {
  static const std::string text = cjk_code_corpus();
  run(state, text);
}

void BM_decode_prose(benchmark::State &state) {
  static const std::string text = prose_corpus();
  const dsv4::Tokenizer &tok = tokenizer();
  std::vector<int32_t> ids = tok.encode(text, false, true);
  for (auto _ : state) {
    std::string s = tok.decode(ids);
    benchmark::DoNotOptimize(s.data());
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * static_cast<int64_t>(text.size()));
}

BENCHMARK(BM_encode_prose)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_encode_prose_cold)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_encode_cjk_code)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_decode_prose)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
