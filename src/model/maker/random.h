// Deterministic random numbers for the model maker. Every value depends only on the seed, the
// stream's identity and its position, never on the platform, the standard library or the number
// of threads: the generator is splitmix64, normals come from Marsaglia's polar method with a
// logarithm of our own (libm's log may differ in the last bit between C libraries, and
// std::normal_distribution's algorithm differs between standard libraries).
#pragma once

#include <cstdint>
#include <string_view>

namespace dsv4::maker {

// 64-bit finaliser of splitmix64: a bijection that scatters nearby inputs.
inline uint64_t mix64(uint64_t z) {
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

// FNV-1a of a name, so streams are keyed by tensor names rather than by their order in a file.
uint64_t hash_name(std::string_view name);

// The seed of stream `index` (a row or a block of rows) of the tensor whose name hashes to
// name_hash, for the user's seed.
inline uint64_t stream_seed(uint64_t seed, uint64_t name_hash, uint64_t index) {
  return mix64(mix64(mix64(seed ^ 0x6a09e667f3bcc909ULL) ^ name_hash) + index * 0x9e3779b97f4a7c15ULL);
}

// ln(x) for finite x > 0 using only IEEE-exact operations (+ − × ÷ and exponent extraction),
// accurate to about 1 ulp. Exposed for tests.
double portable_log(double x);

// One stream of uniform and standard-normal numbers.
class Rng {
 public:
  explicit Rng(uint64_t seed) : state_(seed) {}

  uint64_t next_u64() {
    state_ += 0x9e3779b97f4a7c15ULL;
    return mix64(state_);
  }
  // Uniform in [0, 1) with 53 random bits.
  double next_unit() { return static_cast<double>(next_u64() >> 11) * 0x1.0p-53; }
  // Uniform integer in [0, n), n > 0 (multiply-shift; the bias of at most n/2^64 is irrelevant here).
  uint64_t next_below(uint64_t n) {
    return static_cast<uint64_t>((static_cast<unsigned __int128>(next_u64()) * n) >> 64);
  }
  // Standard normal N(0, 1).
  double next_normal();

 private:
  uint64_t state_;
  double spare_ = 0.0;
  bool has_spare_ = false;
};

}  // namespace dsv4::maker
