// The V4 chat layout (../shared/spec/deepseek-v4.md §9, DeepSeek's encode_messages):
//
//   {bos}, then per turn:
//   system     {text}
//   user       <｜User｜>{text}, followed — when it is the last turn or an assistant turn
//              follows — by <｜Assistant｜> and <think> (thinking mode) or </think> (chat mode)
//   assistant  {reasoning}</think>{text}{tool calls}<｜end▁of▁sentence｜>, where the reasoning
//              part appears only in thinking mode and only for turns after the last user turn
//              (in every turn when reasoning is kept: KEEP_REASONING, or a conversation with
//              tools, which the reference encoder recognises by its tool schemas)
//
// Tool results are not turns of their own: each becomes <tool_result>{text}</tool_result> and
// a run of consecutive user and tool messages is merged into one user turn, its parts joined
// by "\n\n". Tool calls are written in DSML after "\n\n":
//   <｜DSML｜tool_calls>
//   <｜DSML｜invoke name="NAME">
//   <｜DSML｜parameter name="KEY" string="true">text</｜DSML｜parameter>     (string values)
//   <｜DSML｜parameter name="KEY" string="false">json</｜DSML｜parameter>    (anything else)
//   </｜DSML｜invoke>
//   </｜DSML｜tool_calls>
// with invokes and parameters one per line, in the order given.
#include <nlohmann/json.hpp>

#include "common/error.h"
#include "runtime/chat_format.h"

namespace dsv4 {

namespace {

using Json = nlohmann::ordered_json;  // keeps the caller's key order

struct Turn {
  const ChatMessage *message = nullptr;  // system and assistant turns
  std::string user_text;                 // user turns (merged user and tool messages)
  bool is_user() const { return message == nullptr; }
};

// JSON as Python's json.dumps writes it (", " and ": " separators, non-ASCII kept), which is
// how the reference encoder spells non-string parameter values.
std::string python_json(const Json &v) {
  if (v.is_object()) {
    std::string out = "{";
    bool first = true;
    for (const auto &[key, value] : v.items()) {
      if (!first) out += ", ";
      out += Json(key).dump() + ": " + python_json(value);
      first = false;
    }
    return out + "}";
  }
  if (v.is_array()) {
    std::string out = "[";
    for (size_t i = 0; i < v.size(); ++i) {
      if (i > 0) out += ", ";
      out += python_json(v[i]);
    }
    return out + "]";
  }
  return v.dump();
}

std::string dsml_invoke(const ChatToolCall &call, size_t message_index) {
  Json args;
  try {
    args = Json::parse(call.arguments);
  } catch (const Json::exception &e) {
    fail(DSV4_ERR_INVALID_ARGUMENT, "chat message " + std::to_string(message_index) + ": the arguments of tool call '" +
                                        call.name + "' are not JSON: " + e.what());
  }
  if (!args.is_object())
    fail(DSV4_ERR_INVALID_ARGUMENT, "chat message " + std::to_string(message_index) + ": the arguments of tool call '" +
                                        call.name + "' are not a JSON object");
  std::string out = "<｜DSML｜invoke name=\"" + call.name + "\">\n";
  bool first = true;
  for (const auto &[key, value] : args.items()) {
    if (!first) out += "\n";
    first = false;
    const bool is_string = value.is_string();
    out += "<｜DSML｜parameter name=\"" + key + "\" string=\"" + (is_string ? "true" : "false") + "\">";
    out += is_string ? value.get<std::string>() : python_json(value);
    out += "</｜DSML｜parameter>";
  }
  return out + "\n</｜DSML｜invoke>";
}

std::string dsml_tool_calls(const std::vector<ChatToolCall> &calls, size_t message_index) {
  if (calls.empty()) return "";
  std::string out = "\n\n<｜DSML｜tool_calls>\n";
  for (size_t i = 0; i < calls.size(); ++i) {
    if (i > 0) out += "\n";
    out += dsml_invoke(calls[i], message_index);
  }
  return out + "\n</｜DSML｜tool_calls>";
}

}  // namespace

std::string format_chat_v4(std::span<const ChatMessage> messages, const ChatOptions &o) {
  std::vector<Turn> turns;
  std::vector<size_t> source;  // the message index each turn starts at, for messages
  bool has_tools = false;
  for (size_t i = 0; i < messages.size(); ++i) {
    const ChatMessage &m = messages[i];
    has_tools = has_tools || m.role == "tool" || !m.tool_calls.empty();
    if (m.role == "user" || m.role == "tool") {
      const std::string part = m.role == "user" ? m.content : "<tool_result>" + m.content + "</tool_result>";
      if (!turns.empty() && turns.back().is_user()) {
        turns.back().user_text += "\n\n" + part;
        continue;
      }
      turns.push_back(Turn{nullptr, part});
    } else {
      turns.push_back(Turn{&m, {}});
    }
    source.push_back(i);
  }
  const bool keep_reasoning = o.keep_reasoning || has_tools;
  const bool thinking = o.think;
  size_t last_user = 0;
  bool any_user = false;
  for (size_t i = 0; i < turns.size(); ++i)
    if (turns[i].is_user()) last_user = i, any_user = true;

  std::string out = o.bos ? kChatBos : "";
  for (size_t i = 0; i < turns.size(); ++i) {
    const Turn &t = turns[i];
    if (t.is_user()) {
      out += kChatUser + t.user_text;
      const bool last = i + 1 == turns.size();
      const bool answer_follows = !last && turns[i + 1].message->role == "assistant";
      if ((last && o.generation_prompt) || answer_follows) {
        out += kChatAssistant;
        out += thinking && (keep_reasoning || i >= last_user) ? kChatThinkOpen : kChatThinkClose;
      }
    } else if (t.message->role == "system") {
      out += t.message->content;
    } else {  // assistant
      if (thinking && (keep_reasoning || !any_user || i > last_user)) out += t.message->reasoning + kChatThinkClose;
      out += t.message->content;
      out += dsml_tool_calls(t.message->tool_calls, source[i]);
      out += kChatEos;
    }
  }
  return out;
}

}  // namespace dsv4
