// Layout choice and message validation; the layouts themselves are in chat_format_*.cpp.
#include "runtime/chat_format.h"

#include "common/error.h"
#include "runtime/model.h"
#include "tokenizer/tokenizer.h"

namespace dsv4 {

ChatLayout chat_layout_for(const Model &model) {
  const std::string &arch = model.architecture();
  if (arch.rfind("deepseek4", 0) == 0) return ChatLayout::kDeepseekV4;
  const Tokenizer *tok = model.tokenizer();
  if (tok && tok->find_token(kChatUser)) return ChatLayout::kDeepseekV3;
  if (arch == "deepseek2" && tok) return ChatLayout::kDeepseekV2;
  fail(DSV4_ERR_UNSUPPORTED, "no built-in chat layout fits this model (architecture '" + arch + "'" +
                                 (tok ? ", no <｜User｜> token in the vocabulary)" : ", no tokenizer)"));
}

std::string format_chat(ChatLayout layout, std::span<const ChatMessage> messages, const ChatOptions &o) {
  if (o.think && o.no_think) fail(DSV4_ERR_INVALID_ARGUMENT, "chat: THINK and NO_THINK exclude each other");
  for (size_t i = 0; i < messages.size(); ++i) {
    const ChatMessage &m = messages[i];
    const std::string where = "chat message " + std::to_string(i) + ": ";
    if (m.role != "system" && m.role != "user" && m.role != "assistant" && m.role != "tool")
      fail(DSV4_ERR_INVALID_ARGUMENT, where + "role '" + m.role + "' is not system, user, assistant or tool");
    if (m.role != "assistant" && !m.reasoning.empty())
      fail(DSV4_ERR_INVALID_ARGUMENT, where + "only assistant messages carry reasoning");
    if (m.role != "assistant" && !m.tool_calls.empty())
      fail(DSV4_ERR_INVALID_ARGUMENT, where + "only assistant messages carry tool calls");
    for (const ChatToolCall &c : m.tool_calls)
      if (c.name.empty()) fail(DSV4_ERR_INVALID_ARGUMENT, where + "a tool call has no name");
  }
  switch (layout) {
    case ChatLayout::kDeepseekV2: return format_chat_v2(messages, o);
    case ChatLayout::kDeepseekV3: return format_chat_v3(messages, o);
    case ChatLayout::kDeepseekV4: return format_chat_v4(messages, o);
  }
  fail(DSV4_ERR_INVALID_ARGUMENT, "chat: unknown layout " + std::to_string(static_cast<int32_t>(layout)));
}

}  // namespace dsv4
