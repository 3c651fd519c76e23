// Small UTF-8 helpers shared by the tokenizer: decoding one code point, encoding one, and
// finding where an unfinished multi-byte sequence starts at the end of a byte string (the
// streaming detokenizer holds such a tail back until the next token completes it).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace dsv4::utf8 {

// Appends the UTF-8 encoding of cp (cp must be a Unicode scalar value, < 0x110000).
void append(std::string &out, uint32_t cp);

// Decodes the well-formed sequence starting at s[pos] (RFC 3629: no overlongs, no surrogates,
// nothing above U+10FFFF). Returns its length (1..4) and sets cp, or returns 0 when the bytes
// at pos do not start a well-formed sequence (cp is then left unspecified).
size_t decode(std::string_view s, size_t pos, uint32_t &cp);

// True when every byte of s belongs to a well-formed sequence.
bool is_valid(std::string_view s);

// Length of the longest suffix of s that is a proper prefix of some well-formed sequence, i.e.
// bytes that may still become a character when more bytes arrive (0..3). A suffix that can
// never become valid (a stray continuation byte, 0xC0, 0xF5..0xFF, a bad second byte) is 0.
size_t incomplete_tail(std::string_view s);

}  // namespace dsv4::utf8
