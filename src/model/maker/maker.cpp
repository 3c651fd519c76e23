// make_model: vocabulary, metadata, tensor plan and types, then the data, tensor by tensor.
#include "model/maker/maker.h"

#include <filesystem>
#include <thread>

#include "backend/cpu/thread_pool.h"
#include "common/error.h"
#include "format/gguf.h"
#include "model/maker/maker_arch.h"
#include "model/maker/maker_types.h"
#include "model/maker/tensor_data.h"
#include "model/maker/vocab_source.h"

namespace dsv4::maker {

namespace {

int64_t &n_vocab_of(ModelSpec &s) { return s.arch == Arch::kDeepseek2 ? s.ds2.n_vocab : s.ds4.n_vocab; }

// Writes everything; the caller removes the file if this throws.
MakeResult write_model(const MakeOptions &o, const ModelSpec &spec, VocabKeys vocab, std::vector<TensorPlan> plan) {
  gguf::Writer w(o.out_path);
  w.set_string("general.architecture", arch_name(spec.arch));
  w.set_string("general.name", spec.name);
  w.set_u32("general.file_type", file_type_of(o.type));
  if (spec.arch == Arch::kDeepseek2) write_deepseek2_metadata(spec.ds2, w);
  else write_deepseek4_metadata(spec.ds4, w);
  for (gguf::KeyValue &kv : vocab.keys) w.set(std::move(kv.key), std::move(kv.value));

  MakeResult r;
  r.n_vocab = vocab.n_tokens;
  r.n_tensors = static_cast<int64_t>(plan.size());
  Progress p;
  p.tensors_total = r.n_tensors;
  for (const TensorPlan &t : plan) {
    w.add_tensor(t.name, t.type, t.ne);
    p.bytes_total += tensor_bytes(t);
    r.n_params += static_cast<uint64_t>(t.n_elements());
  }

  const auto report = [&] {
    if (o.progress && !o.progress(p)) fail(DSV4_CANCELLED, "model making cancelled by the progress callback");
  };
  const int n_threads = o.n_threads > 0 ? o.n_threads : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  ThreadPool pool(n_threads);
  for (const TensorPlan &t : plan) {
    p.tensor = t.name;
    report();
    write_tensor_data(w, t, o.seed, &pool, [&](uint64_t bytes) {
      p.bytes_done += bytes;
      report();
    });
    ++p.tensors_done;
  }
  w.finish();
  report();
  r.file_bytes = std::filesystem::file_size(o.out_path);
  return r;
}

}  // namespace

MakeResult make_model(const MakeOptions &o) {
  if (o.out_path.empty()) fail(DSV4_ERR_INVALID_ARGUMENT, "model maker: no output path");
  ModelSpec spec = o.spec;
  // The vocabulary decides n_vocab: a tokenizer.json is padded up to the shape's vocab_size
  // (as the converter pads to config.json's), a GGUF vocabulary is taken as it is.
  int64_t &n_vocab = n_vocab_of(spec);
  VocabKeys vocab = o.vocab_path.empty() ? vocab_synthetic(n_vocab, spec.arch == Arch::kDeepseek2)
                                         : load_vocab(o.vocab_path, n_vocab);
  n_vocab = vocab.n_tokens;
  validate(spec);
  std::vector<TensorPlan> plan =
      spec.arch == Arch::kDeepseek2 ? plan_deepseek2_tensors(spec.ds2) : plan_deepseek4_tensors(spec.ds4);
  for (TensorPlan &t : plan) t.type = choose_type(o.type, t);

  try {
    return write_model(o, spec, std::move(vocab), std::move(plan));
  } catch (...) {
    std::error_code ignored;
    std::filesystem::remove(o.out_path, ignored);  // never leave a truncated model behind
    throw;
  }
}

}  // namespace dsv4::maker
