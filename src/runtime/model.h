// A loaded model: the mapped file, its tokenizer and the architecture's weights. Immutable
// after load; shared by every session and thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "model/repack.h"

namespace dsv4 {
namespace gguf {
class File;
}
class Tokenizer;
class ArchModel;

struct ModelLoadOptions {
  bool use_mmap = true;
  bool vocab_only = false;
  uint64_t memory_limit = 0;                // 0: MemAvailable
  RepackMode repack = RepackMode::kAuto;    // matmul weights copied into packed layouts
  std::function<bool(float)> progress;      // false cancels
};

class Model {
 public:
  static std::unique_ptr<Model> load(const std::string &path, const ModelLoadOptions &opts);
  ~Model();

  const gguf::File &file() const { return *file_; }
  const std::string &architecture() const { return architecture_; }
  const std::string &name() const { return name_; }
  bool vocab_only() const { return vocab_only_; }
  uint64_t memory_limit() const { return memory_limit_; }
  // nullptr when the file carries no tokenizer.
  const Tokenizer *tokenizer() const { return tokenizer_.get(); }
  // nullptr for vocab_only loads.
  const ArchModel *arch() const { return arch_.get(); }

  uint64_t n_params() const;
  uint64_t n_bytes() const;
  // The repacked copies (never null after a full load; empty when repacking is off).
  const PackedWeights *packed() const { return packed_.get(); }

  // Live sessions; dsv4_model_free refuses while non-zero.
  mutable std::atomic<int64_t> live_sessions{0};

 private:
  Model() = default;
  std::unique_ptr<gguf::File> file_;
  std::string architecture_;
  std::string name_;
  bool vocab_only_ = false;
  uint64_t memory_limit_ = 0;
  std::unique_ptr<Tokenizer> tokenizer_;
  std::unique_ptr<PackedWeights> packed_;  // outlives arch_, whose views point into it
  std::unique_ptr<ArchModel> arch_;
};

}  // namespace dsv4
