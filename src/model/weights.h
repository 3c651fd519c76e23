// Looks up tensors by name with shape checks; every mismatch is DSV4_ERR_FORMAT naming the
// tensor, its shape and the expected one.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <string>
#include <vector>

#include "backend/backend.h"

namespace dsv4 {
namespace gguf {
class File;
struct TensorInfo;
}

class PackedWeights;

class WeightLoader {
 public:
  // packer: where matrix() repacks the matmul weights (nullptr: never).
  explicit WeightLoader(const gguf::File &file, PackedWeights *packer = nullptr) : file_(file), packer_(packer) {}

  bool has(const std::string &name) const;
  // A matrix or stack with ne = shape (missing trailing dims are 1). An I8 tensor is an FP8
  // E4M3 matrix whose block scales come from its sibling "<name minus .weight>.scale". With a
  // packer, the weights is_matmul_weight() names are repacked.
  WeightView matrix(const std::string &name, std::initializer_list<int64_t> shape) const;
  // A 1-D tensor of n elements, converted to f32 (norm weights, biases: small).
  std::vector<float> vector(const std::string &name, int64_t n) const;

 private:
  void attach_fp8_scales(const std::string &name, WeightView &v) const;
  const gguf::TensorInfo &find(const std::string &name, std::initializer_list<int64_t> shape) const;
  const gguf::File &file_;
  PackedWeights *packer_;
};

}  // namespace dsv4
