#include "model/weights.h"

#include "common/error.h"
#include "format/ggml_type.h"
#include "format/gguf.h"
#include "model/repack.h"
#include "quant/quant.h"

namespace dsv4 {
namespace {
std::string shape_str(const int64_t *ne, size_t n) {
  std::string s = "{";
  for (size_t i = 0; i < n; ++i) s += (i ? ", " : "") + std::to_string(ne[i]);
  return s + "}";
}
}  // namespace

bool WeightLoader::has(const std::string &name) const { return file_.find_tensor(name) != nullptr; }

const gguf::TensorInfo &WeightLoader::find(const std::string &name, std::initializer_list<int64_t> shape) const {
  const gguf::TensorInfo *t = file_.find_tensor(name);
  if (!t) fail(DSV4_ERR_FORMAT, file_.path() + ": missing tensor '" + name + "'");
  int64_t want[4] = {1, 1, 1, 1};
  size_t i = 0;
  for (int64_t d : shape) want[i++] = d;
  for (size_t k = 0; k < 4; ++k)
    if (t->ne[k] != want[k])
      fail(DSV4_ERR_FORMAT, file_.path() + ": tensor '" + name + "' has shape " + shape_str(t->ne, t->n_dims ? t->n_dims : 1) +
                                ", expected " + shape_str(want, shape.size()));
  if (!t->data) fail(DSV4_ERR_INTERNAL, "tensor '" + name + "' has no data (vocab-only load?)");
  return *t;
}

WeightView WeightLoader::matrix(const std::string &name, std::initializer_list<int64_t> shape) const {
  const gguf::TensorInfo &t = find(name, shape);
  const TypeInfo *ti = type_info(t.type);
  WeightView v;
  v.type = t.type;
  v.ne0 = t.ne[0];
  v.ne1 = t.ne[1];
  v.ne2 = t.ne[2] * t.ne[3];
  v.row_bytes = row_bytes(*ti, static_cast<uint64_t>(t.ne[0]));
  v.matrix_bytes = v.row_bytes * static_cast<uint64_t>(t.ne[1]);
  v.data = t.data;
  v.name = t.name.c_str();
  if (t.type == GGML_I8) attach_fp8_scales(name, v);
  if (packer_ && is_matmul_weight(name)) packer_->pack(v);
  return v;
}

// An FP8 E4M3 matrix is stored as its I8 codes plus a sibling "<name>.scale" ("X.weight" ->
// "X.scale", DeepSeek's checkpoint naming) of shape {ceil(ne0/128), ceil(ne1/128), ne2}: F32
// scales, or I8 bytes read as E8M0 (2^(b−127)).
void WeightLoader::attach_fp8_scales(const std::string &name, WeightView &v) const {
  const std::string base = name.size() > 7 && name.compare(name.size() - 7, 7, ".weight") == 0
                               ? name.substr(0, name.size() - 7) : name;
  const std::string scale_name = base + ".scale";
  const gguf::TensorInfo *s = file_.find_tensor(scale_name);
  if (!s)
    fail(DSV4_ERR_FORMAT, file_.path() + ": tensor '" + name + "' is i8 (FP8 E4M3 codes) but '" + scale_name +
                              "' (its 128x128 block scales) is missing");
  const int64_t want[4] = {(v.ne0 + 127) / 128, (v.ne1 + 127) / 128, v.ne2, 1};
  for (int k = 0; k < 4; ++k)
    if (s->ne[k] != want[k])
      fail(DSV4_ERR_FORMAT, file_.path() + ": tensor '" + scale_name + "' has shape " +
                                shape_str(s->ne, s->n_dims ? s->n_dims : 1) + ", expected " + shape_str(want, 3));
  if (s->type == GGML_F32) v.fp8_scale_f32 = reinterpret_cast<const float *>(s->data);
  else if (s->type == GGML_I8) v.fp8_scale_e8m0 = s->data;
  else
    fail(DSV4_ERR_FORMAT, file_.path() + ": tensor '" + scale_name + "' has type " + type_info(s->type)->name +
                              ", expected f32 or i8 (E8M0)");
  if (!s->data) fail(DSV4_ERR_INTERNAL, "tensor '" + scale_name + "' has no data (vocab-only load?)");
  v.fp8_rows = v.ne1;
}

std::vector<float> WeightLoader::vector(const std::string &name, int64_t n) const {
  const gguf::TensorInfo &t = find(name, {n});
  std::vector<float> out(static_cast<size_t>(n));
  dequantize_row(t.type, t.data, out.data(), n);
  return out;
}

}  // namespace dsv4
