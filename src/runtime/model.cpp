#include "runtime/model.h"

#include <sys/stat.h>

#include "common/error.h"
#include "common/log.h"
#include "common/memory.h"
#include "format/ggml_type.h"
#include "format/gguf.h"
#include "model/arch/arch.h"
#include "model/arch/registry.h"
#include "tokenizer/tokenizer.h"

namespace dsv4 {

Model::~Model() = default;

namespace {

uint64_t file_size_of(const std::string &path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) fail(DSV4_ERR_IO, "cannot open '" + path + "': no such file or not readable");
  return static_cast<uint64_t>(st.st_size);
}

// A model we compute with may only hold types we can compute (spec ggml-formats §1).
void check_tensor_types(const gguf::File &file) {
  for (const gguf::TensorInfo &t : file.tensors()) {
    const TypeInfo *ti = type_info(t.type);
    // I8 holds FP8 E4M3 weights and their E8M0 block scales ("X.weight" + "X.scale",
    // deepseek-v4.md §6.3); WeightLoader checks each such pair where a weight is used.
    if (t.type == GGML_I8) continue;
    if (!ti || ti->support != TypeSupport::kCompute)
      fail(DSV4_ERR_UNSUPPORTED, file.path() + ": tensor '" + t.name + "' has type " +
                                     (ti ? ti->name : std::to_string(t.type)) + ", which dsv4 cannot compute with");
  }
}

}  // namespace

std::unique_ptr<Model> Model::load(const std::string &path, const ModelLoadOptions &opts) {
  std::unique_ptr<Model> m(new Model());
  m->vocab_only_ = opts.vocab_only;
  m->memory_limit_ = resolve_memory_limit(opts.memory_limit);
  const uint64_t size = file_size_of(path);
  if (!opts.use_mmap && !opts.vocab_only)
    check_memory_plan("reading '" + path + "' into memory (use_mmap = 0)", size, m->memory_limit_);

  gguf::OpenOptions go;
  go.use_mmap = opts.use_mmap;
  go.load_data = !opts.vocab_only;
  if (!opts.use_mmap) go.owned_bytes_limit = m->memory_limit_;  // every split, before reading
  // Opening (reading, with use_mmap = 0) reports [0, 0.5], repacking (0.5, 1].
  if (opts.progress) go.progress = [&opts](float f) { return opts.progress(opts.vocab_only ? f : 0.5f * f); };
  m->file_ = gguf::File::open(path, go);

  auto arch = m->file_->get_string("general.architecture");
  if (!arch) fail(DSV4_ERR_FORMAT, path + ": missing key general.architecture");
  m->architecture_ = *arch;
  m->name_ = m->file_->get_string("general.name").value_or("");

  if (m->file_->find("tokenizer.ggml.tokens")) m->tokenizer_ = Tokenizer::from_gguf(*m->file_);
  else if (opts.vocab_only) fail(DSV4_ERR_FORMAT, path + ": vocab_only load, but the file has no tokenizer.ggml.tokens");

  if (!opts.vocab_only) {
    check_tensor_types(*m->file_);
    // The copies share the limit with the file's bytes when those were read into memory. All
    // splits count.
    const uint64_t file_bytes = m->file_->file_bytes();
    const uint64_t owned = opts.use_mmap ? 0 : file_bytes;
    const uint64_t pack_limit = m->memory_limit_ > owned ? m->memory_limit_ - owned : 0;
    m->packed_ = std::make_unique<PackedWeights>(
        *m->file_, opts.repack, repack_enabled(opts.repack, file_bytes, m->memory_limit_), pack_limit);
    if (opts.progress)
      m->packed_->set_progress([&opts](float f) { return opts.progress(0.5f + 0.5f * f); });
    m->arch_ = load_arch_model(*m->file_, m->memory_limit_, m->packed_.get());
    m->packed_->set_progress(nullptr);  // it refers to opts
    if (m->packed_->n_tensors() > 0)
      log_info("repacked " + std::to_string(m->packed_->n_tensors()) + " weights (" +
               format_bytes(m->packed_->bytes()) + ", repack = " + repack_mode_name(opts.repack) + "); " +
               format_bytes(m->packed_->released_bytes()) + " of mapped file pages given back");
  }
  if (opts.progress && !opts.progress(1.0f)) fail(DSV4_CANCELLED, "model load cancelled by the progress callback");
  log_info("loaded " + path + " (" + m->architecture_ + (opts.vocab_only ? ", vocab only" : "") + ")");
  return m;
}

uint64_t Model::n_params() const {
  uint64_t n = 0;
  for (const gguf::TensorInfo &t : file_->tensors()) n += static_cast<uint64_t>(t.n_elements());
  return n;
}

uint64_t Model::n_bytes() const {
  uint64_t n = 0;
  for (const gguf::TensorInfo &t : file_->tensors()) n += t.nbytes;
  return n;
}

}  // namespace dsv4
