#include "tokenizer/byte_level.h"

#include "tokenizer/utf8.h"

namespace dsv4::byte_level {
namespace {

struct Tables {
  std::array<uint32_t, 256> cp_of_byte{};
  std::array<std::string, 256> text_of_byte;
  std::array<int16_t, 324> byte_of_cp{};  // code points 0 .. 0x143 (largest used is U+0143)

  Tables() {
    byte_of_cp.fill(-1);
    uint32_t next_shifted = 256;
    for (uint32_t b = 0; b < 256; ++b) {
      bool printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE);
      uint32_t cp = printable ? b : next_shifted++;
      cp_of_byte[b] = cp;
      byte_of_cp[cp] = static_cast<int16_t>(b);
      utf8::append(text_of_byte[b], cp);
    }
  }
};

const Tables &tables() {
  static const Tables t;
  return t;
}

}  // namespace

uint32_t code_point_of(uint8_t b) { return tables().cp_of_byte[b]; }

std::optional<uint8_t> byte_of(uint32_t cp) {
  const Tables &t = tables();
  if (cp >= t.byte_of_cp.size() || t.byte_of_cp[cp] < 0) return std::nullopt;
  return static_cast<uint8_t>(t.byte_of_cp[cp]);
}

const std::string &text_of(uint8_t b) { return tables().text_of_byte[b]; }

std::optional<std::string> decode(std::string_view token_text) {
  std::string out;
  out.reserve(token_text.size());
  size_t pos = 0;
  while (pos < token_text.size()) {
    uint32_t cp = 0;
    size_t n = utf8::decode(token_text, pos, cp);
    if (n == 0) return std::nullopt;
    std::optional<uint8_t> b = byte_of(cp);
    if (!b) return std::nullopt;
    out.push_back(static_cast<char>(*b));
    pos += n;
  }
  return out;
}

}  // namespace dsv4::byte_level
