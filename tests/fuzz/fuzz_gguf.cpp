// libFuzzer target: random bytes -> gguf::File::open_bytes. The only acceptable outcomes are a
// File whose every tensor lies inside the image, or a dsv4::Error; ASan/UBSan catch the rest.
#include <cstdint>
#include <cstdlib>
#include <string>

#include "common/error.h"
#include "format/gguf.h"

namespace {

volatile uint8_t g_sink;

// Reads what a consumer would read, so out-of-bounds pointers or sizes surface under ASan.
void exercise(const dsv4::gguf::File &f, size_t image_bytes, bool loaded) {
  for (const dsv4::gguf::KeyValue &kv : f.metadata()) {
    if (f.find(kv.key) != &kv.value) std::abort();
    try {
      (void)f.get_int(kv.key);
    } catch (const dsv4::Error &) {
    }
    try {
      (void)f.get_int_array(kv.key);
    } catch (const dsv4::Error &) {
    }
    try {
      (void)f.get_string_array(kv.key);
    } catch (const dsv4::Error &) {
    }
    (void)kv.value.array_size();
  }
  for (const dsv4::gguf::TensorInfo &t : f.tensors()) {
    if (f.find_tensor(t.name) != &t) std::abort();
    if (t.nbytes > image_bytes || t.n_elements() < 0) std::abort();
    if (loaded != (t.data != nullptr)) std::abort();
    if (t.data && t.nbytes) g_sink = t.data[0] ^ t.data[t.nbytes - 1];
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  for (bool load : {true, false}) {
    dsv4::gguf::OpenOptions opts;
    opts.load_data = load;
    try {
      const auto f = dsv4::gguf::File::open_bytes(data, size, "fuzz.gguf", opts);
      exercise(*f, size, load);
    } catch (const dsv4::Error &) {
    }
  }
  return 0;
}
