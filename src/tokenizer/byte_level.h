// GPT-2's byte-level alphabet: every byte 0..255 is written as one printable code point so a
// byte string becomes a Unicode string the BPE vocabulary can spell. Bytes '!'..'~', 0xA1..0xAC
// and 0xAE..0xFF stand for themselves; the remaining 68 bytes (controls, space, 0x7F..0xA0,
// 0xAD) get U+0100, U+0101, … in byte order. (Facts: HF `tokenizers` ByteLevel, llama.cpp.)
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace dsv4::byte_level {

// The code point that stands for byte b.
uint32_t code_point_of(uint8_t b);

// The byte a code point stands for, or nullopt when cp is not in the alphabet.
std::optional<uint8_t> byte_of(uint32_t cp);

// UTF-8 text of the code point that stands for byte b (1 or 2 bytes).
const std::string &text_of(uint8_t b);

// Decodes a vocabulary entry written in the alphabet back to bytes. nullopt when the entry
// contains a code point outside the alphabet (or is not UTF-8); such entries are not
// byte-level and the caller uses their text as it is.
std::optional<std::string> decode(std::string_view token_text);

}  // namespace dsv4::byte_level
