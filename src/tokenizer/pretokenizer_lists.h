// The pre-tokenizer regex lists selected by GGUF `tokenizer.ggml.pre` (data from
// spec/ggml-formats.md §5.2–5.5; non-ASCII literals are written as PCRE2 \x{…} escapes).
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace dsv4 {

// The list for a `tokenizer.ggml.pre` value. deepseek-v3 is also named joyai-llm and
// hunyuan-dense in community GGUFs (same list). Any other value, and a missing one, is
// DSV4_ERR_UNSUPPORTED naming it and the values that are supported.
std::vector<std::string> pretokenizer_regexes(std::string_view pre);

}  // namespace dsv4
