// Chat prompts: messages -> the prompt text a DeepSeek model was trained on, by built-in
// formatters for each layout (no template engine). Facts: ../shared/spec/deepseek-v3.md §7
// (V2, V3), deepseek-v4.md §9 (V4). The text spells special markers out; tokenize it with
// special-token parsing on. (These live in runtime/ rather than tokenizer/ because they need
// the model to choose a layout and nothing of the tokenizer's internals.)
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace dsv4 {

class Model;

enum class ChatLayout : int32_t {
  kDeepseekV2 = 2,  // "User: ...\n\nAssistant: ..." (V2 / V2-Lite chat)
  kDeepseekV3 = 3,  // <｜User｜> / <｜Assistant｜> markers (V3, V3.1, R1)
  kDeepseekV4 = 4,  // V4's encoder: DSML tool calls, <tool_result> blocks, thinking modes
};

struct ChatToolCall {
  std::string name;
  std::string arguments;  // a JSON object as text
};

struct ChatMessage {
  std::string role;       // system | user | assistant | tool
  std::string content;
  std::string reasoning;  // assistant only
  std::vector<ChatToolCall> tool_calls;  // assistant only
};

struct ChatOptions {
  bool think = false;              // open a thinking block for the answer
  bool no_think = false;           // close it explicitly
  bool generation_prompt = true;   // end with the assistant's turn opener
  bool bos = true;                 // start with the BOS text
  bool keep_reasoning = false;     // V4: keep reasoning in every assistant turn
};

// Chooses the layout: architecture deepseek4* -> V4; a vocabulary with <｜User｜> -> V3;
// architecture deepseek2 -> V2; otherwise DSV4_ERR_UNSUPPORTED.
ChatLayout chat_layout_for(const Model &model);

// Renders the conversation. DSV4_ERR_INVALID_ARGUMENT names the first bad message.
std::string format_chat(ChatLayout layout, std::span<const ChatMessage> messages, const ChatOptions &options);

// The layouts (chat_format_deepseek.cpp, chat_format_v4.cpp); messages are already validated.
std::string format_chat_v2(std::span<const ChatMessage> messages, const ChatOptions &options);
std::string format_chat_v3(std::span<const ChatMessage> messages, const ChatOptions &options);
std::string format_chat_v4(std::span<const ChatMessage> messages, const ChatOptions &options);

// Markers shared by the layouts.
inline constexpr const char *kChatBos = "<｜begin▁of▁sentence｜>";
inline constexpr const char *kChatEos = "<｜end▁of▁sentence｜>";
inline constexpr const char *kChatUser = "<｜User｜>";
inline constexpr const char *kChatAssistant = "<｜Assistant｜>";
inline constexpr const char *kChatThinkOpen = "<think>";
inline constexpr const char *kChatThinkClose = "</think>";

}  // namespace dsv4
