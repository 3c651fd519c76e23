// The V2 and V3 chat layouts (../shared/spec/deepseek-v3.md §7.2 and §7.1).
#include "common/error.h"
#include "runtime/chat_format.h"

namespace dsv4 {

namespace {

// R1-style templates drop an assistant turn's text up to its last "</think>" (the thinking
// of earlier turns is not shown to the model again).
std::string without_thinking(const std::string &content) {
  const size_t at = content.rfind(kChatThinkClose);
  return at == std::string::npos ? content : content.substr(at + std::string(kChatThinkClose).size());
}

void v3_tool_call(std::string &out, const ChatToolCall &c) {
  out += "<｜tool▁call▁begin｜>function<｜tool▁sep｜>";
  out += c.name;
  out += "\n```json\n";
  out += c.arguments;
  out += "\n```<｜tool▁call▁end｜>";
}

}  // namespace

// {bos}, then in message order: system "{text}\n\n", user "User: {text}\n\n", assistant
// "Assistant: {text}<｜end▁of▁sentence｜>"; generation prompt "Assistant:".
std::string format_chat_v2(std::span<const ChatMessage> messages, const ChatOptions &o) {
  if (o.think) fail(DSV4_ERR_INVALID_ARGUMENT, "chat: the deepseek-v2 layout has no thinking mode");
  std::string out = o.bos ? kChatBos : "";
  for (size_t i = 0; i < messages.size(); ++i) {
    const ChatMessage &m = messages[i];
    if (m.role == "tool" || !m.tool_calls.empty())
      fail(DSV4_ERR_INVALID_ARGUMENT, "chat message " + std::to_string(i) + ": the deepseek-v2 layout has no tool calls");
    if (m.role == "system") out += m.content + "\n\n";
    else if (m.role == "user") out += "User: " + m.content + "\n\n";
    else out += "Assistant: " + m.content + kChatEos;
  }
  if (o.generation_prompt) out += "Assistant:";
  return out;
}

// {bos}{every system text, joined by "\n\n"}, then per message:
//   user        <｜User｜>{text}
//   assistant   <｜Assistant｜>{text}<｜end▁of▁sentence｜>, with tool calls
//               <｜Assistant｜>{text}<｜tool▁calls▁begin｜>{call}(\n{call})*<｜tool▁calls▁end｜><｜end▁of▁sentence｜>
//   tool        results in one block: <｜tool▁outputs▁begin｜>{result}(\n{result})*<｜tool▁outputs▁end｜>
//               with result = <｜tool▁output▁begin｜>{text}<｜tool▁output▁end｜>
// After a block of tool results the assistant continues without <｜Assistant｜> (and the
// generation prompt is the closed block itself), as in DeepSeek's template. Unlike that
// template, a block is closed before whatever follows it and every block opens with
// <｜tool▁outputs▁begin｜>, so a second round of tool calls renders like the first.
// Generation prompt: <｜Assistant｜>, then <think> (THINK) or </think> (NO_THINK) as V3.1.
std::string format_chat_v3(std::span<const ChatMessage> messages, const ChatOptions &o) {
  std::string out = o.bos ? kChatBos : "";
  bool first_system = true;
  for (const ChatMessage &m : messages) {
    if (m.role != "system") continue;
    if (!first_system) out += "\n\n";
    out += m.content;
    first_system = false;
  }

  bool in_results = false;  // inside <｜tool▁outputs▁begin｜> ... (not yet closed)
  for (const ChatMessage &m : messages) {
    if (m.role == "system") continue;
    const bool after_results = in_results && m.role != "tool";
    if (after_results) {
      out += "<｜tool▁outputs▁end｜>";
      in_results = false;
    }
    if (m.role == "user") {
      out += kChatUser + m.content;
    } else if (m.role == "assistant") {
      if (!after_results) out += kChatAssistant;
      out += without_thinking(m.content);
      if (!m.tool_calls.empty()) {
        out += "<｜tool▁calls▁begin｜>";
        for (size_t i = 0; i < m.tool_calls.size(); ++i) {
          if (i > 0) out += "\n";
          v3_tool_call(out, m.tool_calls[i]);
        }
        out += "<｜tool▁calls▁end｜>";
      }
      out += kChatEos;
    } else {  // tool
      out += in_results ? "\n" : "<｜tool▁outputs▁begin｜>";
      out += "<｜tool▁output▁begin｜>" + m.content + "<｜tool▁output▁end｜>";
      in_results = true;
    }
  }
  if (in_results) {
    out += "<｜tool▁outputs▁end｜>";
  } else if (o.generation_prompt) {
    out += kChatAssistant;
    if (o.think) out += kChatThinkOpen;
    if (o.no_think) out += kChatThinkClose;
  }
  return out;
}

}  // namespace dsv4
