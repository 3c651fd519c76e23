// Chat layouts against golden strings written by hand from ../shared/spec (deepseek-v3.md
// §7.1 V3, §7.2 V2; deepseek-v4.md §9 V4), plus the layout choice and the C ABI.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "common/error.h"
#include "common/testdata.h"
#include "dsv4/dsv4.h"
#include "runtime/chat_format.h"

namespace dsv4 {
namespace {

const std::string BOS = "<｜begin▁of▁sentence｜>";
const std::string EOS = "<｜end▁of▁sentence｜>";

ChatMessage msg(const std::string &role, const std::string &content, const std::string &reasoning = "",
                std::vector<ChatToolCall> calls = {}) {
  return ChatMessage{role, content, reasoning, std::move(calls)};
}

ChatOptions think() {
  ChatOptions o;
  o.think = true;
  return o;
}

// ---- V3 (deepseek-v3.md §7.1) -------------------------------------------------------------

TEST(ChatFormatV3, SystemAndMultiTurn) {
  const std::vector<ChatMessage> m = {msg("system", "You are helpful."), msg("user", "Hi"),
                                      msg("assistant", "Hello!"), msg("user", "How are you?")};
  EXPECT_EQ(format_chat(ChatLayout::kDeepseekV3, m, {}),
            BOS + "You are helpful.<｜User｜>Hi<｜Assistant｜>Hello!" + EOS + "<｜User｜>How are you?<｜Assistant｜>");
}

TEST(ChatFormatV3, EverySystemTextGoesFirstJoinedByABlankLine) {
  const std::vector<ChatMessage> m = {msg("system", "A"), msg("user", "Q"), msg("system", "B")};
  EXPECT_EQ(format_chat(ChatLayout::kDeepseekV3, m, {}), BOS + "A\n\nB<｜User｜>Q<｜Assistant｜>");
}

TEST(ChatFormatV3, ThinkingOnAndOffAndNoGenerationPrompt) {
  const std::vector<ChatMessage> m = {msg("user", "Q")};
  EXPECT_EQ(format_chat(ChatLayout::kDeepseekV3, m, think()), BOS + "<｜User｜>Q<｜Assistant｜><think>");
  ChatOptions off;
  off.no_think = true;
  EXPECT_EQ(format_chat(ChatLayout::kDeepseekV3, m, off), BOS + "<｜User｜>Q<｜Assistant｜></think>");
  ChatOptions bare;
  bare.generation_prompt = false;
  bare.bos = false;
  EXPECT_EQ(format_chat(ChatLayout::kDeepseekV3, m, bare), "<｜User｜>Q");
}

TEST(ChatFormatV3, EarlierReasoningIsDropped) {
  const std::vector<ChatMessage> m = {msg("user", "Q1"), msg("assistant", "<think>\nhmm\n</think>\n\nA1", "more"),
                                      msg("user", "Q2")};
  EXPECT_EQ(format_chat(ChatLayout::kDeepseekV3, m, {}),
            BOS + "<｜User｜>Q1<｜Assistant｜>\n\nA1" + EOS + "<｜User｜>Q2<｜Assistant｜>");
}

TEST(ChatFormatV3, ToolCallsAndResults) {
  const std::vector<ChatMessage> m = {
      msg("user", "Weather in Paris and Rome?"),
      msg("assistant", "", "",
          {{"get_weather", R"({"city": "Paris"})"}, {"get_weather", R"({"city": "Rome"})"}}),
      msg("tool", "18C"),
      msg("tool", "21C"),
  };
  const std::string calls =
      "<｜Assistant｜><｜tool▁calls▁begin｜>"
      "<｜tool▁call▁begin｜>function<｜tool▁sep｜>get_weather\n```json\n{\"city\": \"Paris\"}\n```<｜tool▁call▁end｜>\n"
      "<｜tool▁call▁begin｜>function<｜tool▁sep｜>get_weather\n```json\n{\"city\": \"Rome\"}\n```<｜tool▁call▁end｜>"
      "<｜tool▁calls▁end｜>" + EOS;
  const std::string results =
      "<｜tool▁outputs▁begin｜><｜tool▁output▁begin｜>18C<｜tool▁output▁end｜>\n"
      "<｜tool▁output▁begin｜>21C<｜tool▁output▁end｜><｜tool▁outputs▁end｜>";
  // After the results the model answers directly: no <｜Assistant｜>.
  EXPECT_EQ(format_chat(ChatLayout::kDeepseekV3, m, {}), BOS + "<｜User｜>Weather in Paris and Rome?" + calls + results);

  std::vector<ChatMessage> more = m;
  more.push_back(msg("assistant", "Paris 18C, Rome 21C."));
  more.push_back(msg("user", "Thanks"));
  EXPECT_EQ(format_chat(ChatLayout::kDeepseekV3, more, {}),
            BOS + "<｜User｜>Weather in Paris and Rome?" + calls + results + "Paris 18C, Rome 21C." + EOS +
                "<｜User｜>Thanks<｜Assistant｜>");
}

TEST(ChatFormatV3, ToolCallWithText) {
  const std::vector<ChatMessage> m = {msg("user", "Q"), msg("assistant", "Let me look.", "", {{"f", "{}"}})};
  EXPECT_EQ(format_chat(ChatLayout::kDeepseekV3, m, {}),
            BOS + "<｜User｜>Q<｜Assistant｜>Let me look.<｜tool▁calls▁begin｜><｜tool▁call▁begin｜>function<｜tool▁sep｜>f\n"
                  "```json\n{}\n```<｜tool▁call▁end｜><｜tool▁calls▁end｜>" + EOS + "<｜Assistant｜>");
}

// ---- V2 (deepseek-v3.md §7.2) -------------------------------------------------------------

TEST(ChatFormatV2, SystemAndMultiTurn) {
  const std::vector<ChatMessage> m = {msg("system", "Be brief."), msg("user", "Hi"), msg("assistant", "Hello"),
                                      msg("user", "Bye")};
  EXPECT_EQ(format_chat(ChatLayout::kDeepseekV2, m, {}),
            BOS + "Be brief.\n\nUser: Hi\n\nAssistant: Hello" + EOS + "User: Bye\n\nAssistant:");
}

// ---- V4 (deepseek-v4.md §9) ---------------------------------------------------------------

const std::vector<ChatMessage> kTwoTurns = {msg("system", "S"), msg("user", "Q1"), msg("assistant", "A1", "R1"),
                                            msg("user", "Q2")};

TEST(ChatFormatV4, ChatModeClosesThinkingAndDropsReasoning) {
  EXPECT_EQ(format_chat(ChatLayout::kDeepseekV4, kTwoTurns, {}),
            BOS + "S<｜User｜>Q1<｜Assistant｜></think>A1" + EOS + "<｜User｜>Q2<｜Assistant｜></think>");
  ChatOptions off;
  off.no_think = true;  // chat mode is V4's default: the same text
  EXPECT_EQ(format_chat(ChatLayout::kDeepseekV4, kTwoTurns, off), format_chat(ChatLayout::kDeepseekV4, kTwoTurns, {}));
}

TEST(ChatFormatV4, ThinkingModeKeepsReasoningOnlyAfterTheLastUserTurn) {
  EXPECT_EQ(format_chat(ChatLayout::kDeepseekV4, kTwoTurns, think()),
            BOS + "S<｜User｜>Q1<｜Assistant｜></think>A1" + EOS + "<｜User｜>Q2<｜Assistant｜><think>");
  const std::vector<ChatMessage> answered = {msg("user", "Q"), msg("assistant", "A", "R")};
  EXPECT_EQ(format_chat(ChatLayout::kDeepseekV4, answered, think()),
            BOS + "<｜User｜>Q<｜Assistant｜><think>R</think>A" + EOS);
  ChatOptions keep = think();
  keep.keep_reasoning = true;
  EXPECT_EQ(format_chat(ChatLayout::kDeepseekV4, kTwoTurns, keep),
            BOS + "S<｜User｜>Q1<｜Assistant｜><think>R1</think>A1" + EOS + "<｜User｜>Q2<｜Assistant｜><think>");
}

TEST(ChatFormatV4, NoGenerationPromptAndNoBos) {
  ChatOptions o;
  o.generation_prompt = false;
  o.bos = false;
  EXPECT_EQ(format_chat(ChatLayout::kDeepseekV4, kTwoTurns, o),
            "S<｜User｜>Q1<｜Assistant｜></think>A1" + EOS + "<｜User｜>Q2");
}

const std::vector<ChatMessage> kToolRound = {
    msg("user", "Weather in Paris and Rome?"),
    msg("assistant", "", "I should look both up.",
        {{"get_weather", R"({"city": "Paris"})"},
         {"get_weather", R"({"city": "Rome", "days": 2, "units": ["c"], "opts": {"a": 1.5, "b": [true, null]}})"}}),
    msg("tool", "18C"),
    msg("tool", "21C"),
};
const std::string kDsml =
    "\n\n<｜DSML｜tool_calls>\n"
    "<｜DSML｜invoke name=\"get_weather\">\n"
    "<｜DSML｜parameter name=\"city\" string=\"true\">Paris</｜DSML｜parameter>\n"
    "</｜DSML｜invoke>\n"
    "<｜DSML｜invoke name=\"get_weather\">\n"
    "<｜DSML｜parameter name=\"city\" string=\"true\">Rome</｜DSML｜parameter>\n"
    "<｜DSML｜parameter name=\"days\" string=\"false\">2</｜DSML｜parameter>\n"
    "<｜DSML｜parameter name=\"units\" string=\"false\">[\"c\"]</｜DSML｜parameter>\n"
    "<｜DSML｜parameter name=\"opts\" string=\"false\">{\"a\": 1.5, \"b\": [true, null]}</｜DSML｜parameter>\n"
    "</｜DSML｜invoke>\n"
    "</｜DSML｜tool_calls>";

TEST(ChatFormatV4, ToolCallsInDsmlAndResultsMergedIntoTheNextUserTurn) {
  EXPECT_EQ(format_chat(ChatLayout::kDeepseekV4, kToolRound, {}),
            BOS + "<｜User｜>Weather in Paris and Rome?<｜Assistant｜></think>" + kDsml + EOS +
                "<｜User｜><tool_result>18C</tool_result>\n\n<tool_result>21C</tool_result><｜Assistant｜></think>");
}

TEST(ChatFormatV4, WithToolsThinkingKeepsReasoningInEveryTurn) {
  std::vector<ChatMessage> m = kToolRound;
  m.push_back(msg("user", "Thanks"));  // merged with the results into one user turn
  EXPECT_EQ(format_chat(ChatLayout::kDeepseekV4, m, think()),
            BOS + "<｜User｜>Weather in Paris and Rome?<｜Assistant｜><think>I should look both up.</think>" + kDsml + EOS +
                "<｜User｜><tool_result>18C</tool_result>\n\n<tool_result>21C</tool_result>\n\nThanks"
                "<｜Assistant｜><think>");
}

// ---- validation ---------------------------------------------------------------------------

void expect_invalid(ChatLayout layout, const std::vector<ChatMessage> &m, const ChatOptions &o = {}) {
  try {
    format_chat(layout, m, o);
    ADD_FAILURE() << "expected DSV4_ERR_INVALID_ARGUMENT";
  } catch (const Error &e) {
    EXPECT_EQ(e.status(), DSV4_ERR_INVALID_ARGUMENT) << e.message();
  }
}

TEST(ChatFormat, RejectsBadMessages) {
  expect_invalid(ChatLayout::kDeepseekV3, {msg("robot", "x")});
  expect_invalid(ChatLayout::kDeepseekV3, {msg("user", "x", "reasoning")});
  expect_invalid(ChatLayout::kDeepseekV3, {msg("tool", "x", "", {{"f", "{}"}})});
  expect_invalid(ChatLayout::kDeepseekV4, {msg("user", "Q"), msg("assistant", "", "", {{"f", "[1, 2]"}})});
  expect_invalid(ChatLayout::kDeepseekV4, {msg("user", "Q"), msg("assistant", "", "", {{"f", "{oops"}})});
  expect_invalid(ChatLayout::kDeepseekV2, {msg("user", "Q"), msg("tool", "r")});
  expect_invalid(ChatLayout::kDeepseekV2, {msg("user", "Q")}, think());
  ChatOptions both = think();
  both.no_think = true;
  expect_invalid(ChatLayout::kDeepseekV3, {msg("user", "Q")}, both);
}

// ---- the C ABI: layout choice by model, buffers, flags -------------------------------------

dsv4_model *load_vocab(const std::string &name) {
  dsv4_model_params p = dsv4_model_params_default();
  p.vocab_only = 1;
  dsv4_model *m = nullptr;
  EXPECT_EQ(dsv4_model_load(test::testdata_path("models/" + name).c_str(), &p, &m), DSV4_OK) << dsv4_last_error();
  return m;
}

TEST(ChatFormatCApi, LayoutFollowsArchitectureAndVocabulary) {
  dsv4_model *ds3 = load_vocab("ds3-tiny-f32.gguf");  // deepseek2 with the deepseek-coder vocabulary
  dsv4_model *v4 = load_vocab("dsv4-tiny-f32.gguf");  // deepseek4
  ASSERT_TRUE(ds3 && v4);
  int32_t layout = 0;
  ASSERT_EQ(dsv4_chat_layout(ds3, &layout), DSV4_OK);
  EXPECT_EQ(layout, DSV4_CHAT_LAYOUT_DEEPSEEK_V2);
  ASSERT_EQ(dsv4_chat_layout(v4, &layout), DSV4_OK);
  EXPECT_EQ(layout, DSV4_CHAT_LAYOUT_DEEPSEEK_V4);

  dsv4_chat_tool_call call = {"f", "{\"x\": \"y\"}"};
  dsv4_chat_message m[3] = {{"user", "Q", nullptr, nullptr, 0}, {"assistant", nullptr, nullptr, &call, 1},
                            {"tool", "r", nullptr, nullptr, 0}};
  size_t need = 0;
  ASSERT_EQ(dsv4_chat_format(v4, m, 3, DSV4_CHAT_NO_BOS, nullptr, 0, &need), DSV4_ERR_BUFFER_TOO_SMALL);
  std::string buf(need, '\0');
  ASSERT_EQ(dsv4_chat_format(v4, m, 3, DSV4_CHAT_NO_BOS, buf.data(), buf.size(), &need), DSV4_OK) << dsv4_last_error();
  EXPECT_EQ(std::string(buf.c_str()),
            "<｜User｜>Q<｜Assistant｜></think>\n\n<｜DSML｜tool_calls>\n<｜DSML｜invoke name=\"f\">\n"
            "<｜DSML｜parameter name=\"x\" string=\"true\">y</｜DSML｜parameter>\n</｜DSML｜invoke>\n</｜DSML｜tool_calls>" +
                EOS + "<｜User｜><tool_result>r</tool_result><｜Assistant｜></think>");

  EXPECT_EQ(dsv4_chat_format(ds3, m, 1, 0, buf.data(), buf.size(), &need), DSV4_OK);
  EXPECT_EQ(std::string(buf.c_str()), BOS + "User: Q\n\nAssistant:");
  EXPECT_EQ(dsv4_chat_format(ds3, m, 1, 1u << 20, buf.data(), buf.size(), &need), DSV4_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(dsv4_chat_format(ds3, m, 3, 0, buf.data(), buf.size(), &need), DSV4_ERR_INVALID_ARGUMENT);
  EXPECT_NE(std::string(dsv4_last_error()).find("chat message 1"), std::string::npos) << dsv4_last_error();
  dsv4_chat_message null_role = {nullptr, "x", nullptr, nullptr, 0};
  EXPECT_EQ(dsv4_chat_format(ds3, &null_role, 1, 0, buf.data(), buf.size(), &need), DSV4_ERR_INVALID_ARGUMENT);

  EXPECT_EQ(dsv4_model_free(ds3), DSV4_OK);
  EXPECT_EQ(dsv4_model_free(v4), DSV4_OK);
}

}  // namespace
}  // namespace dsv4
