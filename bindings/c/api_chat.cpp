// C ABI: chat prompt layouts.
#include <cstdio>
#include <string>
#include <vector>

#include "api_internal.h"
#include "runtime/chat_format.h"
#include "runtime/model.h"

using dsv4::capi::guard;
using dsv4::capi::require;

namespace {

constexpr uint32_t kChatFlags = DSV4_CHAT_THINK | DSV4_CHAT_NO_THINK | DSV4_CHAT_NO_GENERATION_PROMPT |
                                DSV4_CHAT_NO_BOS | DSV4_CHAT_KEEP_REASONING;

std::vector<dsv4::ChatMessage> to_messages(const dsv4_chat_message *messages, size_t n) {
  std::vector<dsv4::ChatMessage> out(n);
  for (size_t i = 0; i < n; ++i) {
    const dsv4_chat_message &m = messages[i];
    const std::string where = "chat message " + std::to_string(i) + ": ";
    if (!m.role) dsv4::fail(DSV4_ERR_INVALID_ARGUMENT, where + "role is NULL");
    if (m.n_tool_calls > 0 && !m.tool_calls)
      dsv4::fail(DSV4_ERR_INVALID_ARGUMENT, where + "n_tool_calls is not 0 but tool_calls is NULL");
    out[i].role = m.role;
    out[i].content = m.content ? m.content : "";
    out[i].reasoning = m.reasoning ? m.reasoning : "";
    for (uint64_t c = 0; c < m.n_tool_calls; ++c) {
      if (!m.tool_calls[c].name || !m.tool_calls[c].arguments)
        dsv4::fail(DSV4_ERR_INVALID_ARGUMENT, where + "tool call " + std::to_string(c) + " has a NULL name or arguments");
      out[i].tool_calls.push_back({m.tool_calls[c].name, m.tool_calls[c].arguments});
    }
  }
  return out;
}

}  // namespace

extern "C" {

dsv4_status dsv4_chat_layout(const dsv4_model *model, int32_t *layout) {
  return guard([&] {
    require(model != nullptr, "model is NULL");
    require(layout != nullptr, "layout is NULL");
    *layout = static_cast<int32_t>(dsv4::chat_layout_for(*model->impl));
  });
}

dsv4_status dsv4_chat_format(const dsv4_model *model, const dsv4_chat_message *messages, size_t n, uint32_t flags,
                             char *buf, size_t cap, size_t *n_required) {
  return guard([&] {
    require(model != nullptr, "model is NULL");
    require(messages != nullptr || n == 0, "messages is NULL");
    dsv4::capi::check_flags(flags, kChatFlags);
    dsv4::ChatOptions o;
    o.think = (flags & DSV4_CHAT_THINK) != 0;
    o.no_think = (flags & DSV4_CHAT_NO_THINK) != 0;
    o.generation_prompt = (flags & DSV4_CHAT_NO_GENERATION_PROMPT) == 0;
    o.bos = (flags & DSV4_CHAT_NO_BOS) == 0;
    o.keep_reasoning = (flags & DSV4_CHAT_KEEP_REASONING) != 0;
    const std::vector<dsv4::ChatMessage> msgs = to_messages(messages, n);
    const std::string text = dsv4::format_chat(dsv4::chat_layout_for(*model->impl), msgs, o);
    dsv4::capi::write_string(text, buf, cap, n_required);
  });
}

}  // extern "C"
