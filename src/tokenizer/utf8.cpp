#include "tokenizer/utf8.h"

namespace dsv4::utf8 {
namespace {

// Number of bytes a sequence starting with lead byte b has (0 for bytes that never start one:
// continuation bytes 0x80..0xBF, the overlong leads 0xC0/0xC1 and 0xF5..0xFF).
size_t sequence_length(uint8_t b) {
  if (b < 0x80) return 1;
  if (b < 0xC2) return 0;
  if (b < 0xE0) return 2;
  if (b < 0xF0) return 3;
  if (b < 0xF5) return 4;
  return 0;
}

// The allowed range of the byte after lead byte b (RFC 3629 table: E0 excludes overlongs,
// ED excludes surrogates, F0 overlongs, F4 values above U+10FFFF).
bool second_byte_ok(uint8_t lead, uint8_t b) {
  switch (lead) {
    case 0xE0: return b >= 0xA0 && b <= 0xBF;
    case 0xED: return b >= 0x80 && b <= 0x9F;
    case 0xF0: return b >= 0x90 && b <= 0xBF;
    case 0xF4: return b >= 0x80 && b <= 0x8F;
    default: return b >= 0x80 && b <= 0xBF;
  }
}

bool is_continuation(uint8_t b) { return (b & 0xC0) == 0x80; }

}  // namespace

void append(std::string &out, uint32_t cp) {
  if (cp < 0x80) {
    out.push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

size_t decode(std::string_view s, size_t pos, uint32_t &cp) {
  if (pos >= s.size()) return 0;
  const auto *p = reinterpret_cast<const uint8_t *>(s.data()) + pos;
  size_t n = sequence_length(p[0]);
  if (n == 0 || pos + n > s.size()) return 0;
  if (n == 1) {
    cp = p[0];
    return 1;
  }
  if (!second_byte_ok(p[0], p[1])) return 0;
  for (size_t k = 2; k < n; ++k)
    if (!is_continuation(p[k])) return 0;
  static constexpr uint8_t kLeadMask[5] = {0, 0, 0x1F, 0x0F, 0x07};
  cp = p[0] & kLeadMask[n];
  for (size_t k = 1; k < n; ++k) cp = (cp << 6) | (p[k] & 0x3F);
  return n;
}

bool is_valid(std::string_view s) {
  size_t pos = 0;
  uint32_t cp = 0;
  while (pos < s.size()) {
    if (static_cast<uint8_t>(s[pos]) < 0x80) {
      ++pos;
      continue;
    }
    size_t n = decode(s, pos, cp);
    if (n == 0) return false;
    pos += n;
  }
  return true;
}

size_t incomplete_tail(std::string_view s) {
  const auto *p = reinterpret_cast<const uint8_t *>(s.data());
  // A lead byte of an unfinished sequence is at most 3 bytes from the end.
  for (size_t back = 1; back <= 3 && back <= s.size(); ++back) {
    size_t start = s.size() - back;
    uint8_t lead = p[start];
    if (is_continuation(lead)) continue;
    size_t need = sequence_length(lead);
    if (need <= back) return 0;  // ASCII, a complete sequence, or a byte that never starts one
    if (back >= 2 && !second_byte_ok(lead, p[start + 1])) return 0;
    for (size_t k = 2; k < back; ++k)
      if (!is_continuation(p[start + k])) return 0;
    return back;
  }
  return 0;
}

}  // namespace dsv4::utf8
