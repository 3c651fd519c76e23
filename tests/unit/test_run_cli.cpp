// `dsv4 run` and `dsv4 chat` as a user runs them, on ../shared/testdata ds3-tiny-f32.gguf:
// stdout carries only the generated text (the same seed gives the same text), stderr the
// speeds and the expert histogram; chat reads turns from stdin.
#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <regex>
#include <fstream>
#include <string>

#include "common/testdata.h"

namespace dsv4 {
namespace {

// Runs the dsv4 binary with args (already shell-quoted), stdin from `input`.
test::CliResult run_cli(const std::string &args, const std::string &input = "") {
  const std::string dir = test::make_temp_dir("run-cli");
  const std::string in = dir + "/in";
  std::ofstream(in, std::ios::binary) << input;
  test::CliResult o = test::run_cli(args, dir, in);
  std::filesystem::remove_all(dir);
  return o;
}

const std::string kModel = "--model '" + test::testdata_path("models/ds3-tiny-f32.gguf") + "'";

TEST(RunCli, StreamsOnlyTheGeneratedTextAndReportsSpeedsAndExperts) {
  const test::CliResult a = run_cli("run " + kModel + " --prompt 'def fibonacci(n):' -n 24 --seed 5 --temp 0.9");
  ASSERT_EQ(a.exit_code, 0) << a.err;
  EXPECT_FALSE(a.out.empty());
  EXPECT_EQ(a.out.find("def fibonacci(n):"), std::string::npos) << "the prompt must not be echoed";
  EXPECT_NE(a.err.find("prompt:"), std::string::npos) << a.err;
  EXPECT_NE(a.err.find("generation: 24 tokens"), std::string::npos) << a.err;
  EXPECT_NE(a.err.find("tok/s"), std::string::npos) << a.err;
  // ds3-tiny: layer 0 is dense, layers 1-3 route over 16 experts.
  EXPECT_EQ(a.err.find("layer   0 |"), std::string::npos) << a.err;
  for (const char *layer : {"layer   1 |", "layer   2 |", "layer   3 |"})
    EXPECT_NE(a.err.find(layer), std::string::npos) << a.err;
  EXPECT_NE(a.err.find("/16 used"), std::string::npos) << a.err;

  const test::CliResult b = run_cli("run " + kModel + " --prompt 'def fibonacci(n):' -n 24 --seed 5 --temp 0.9");
  EXPECT_EQ(a.out, b.out) << "the same seed must give the same text";
  const test::CliResult c = run_cli("run " + kModel + " --prompt 'def fibonacci(n):' -n 24 --seed 6 --temp 0.9");
  EXPECT_NE(a.out, c.out);
}

TEST(RunCli, ChatLayoutAndUsageErrors) {
  const test::CliResult chat = run_cli("run " + kModel + " --prompt 'Hi' --chat -n 8 --temp 0");
  EXPECT_EQ(chat.exit_code, 0) << chat.err;
  EXPECT_NE(chat.err.find("generation: 8 tokens"), std::string::npos) << chat.err;
  EXPECT_EQ(run_cli("run " + kModel).exit_code, 2);                                 // no --prompt
  EXPECT_EQ(run_cli("run " + kModel + " --prompt x --top-p 7").exit_code, 1);      // rejected by the library
  EXPECT_EQ(run_cli("run " + kModel + " --prompt x --think").exit_code, 2);        // --think needs --chat
  EXPECT_EQ(run_cli("run " + kModel + " --prompt x --tmep 1").exit_code, 2);       // unknown flag
}

TEST(ChatCli, TakesTurnsFromStdinAndReusesTheConversation) {
  const test::CliResult o = run_cli("chat " + kModel + " -n 6 --seed 1", "Hello\nHow are you?\n/reset\nAgain\n");
  ASSERT_EQ(o.exit_code, 0) << o.err;
  size_t turns = 0;
  for (size_t at = o.err.find("[6 tokens"); at != std::string::npos; at = o.err.find("[6 tokens", at + 1)) ++turns;
  EXPECT_EQ(turns, 3u) << o.err;
  // The second turn resends the first: its prompt is mostly reused ("prompt N new of M").
  std::smatch m;
  std::string rest = o.err;
  ASSERT_TRUE(std::regex_search(rest, m, std::regex("prompt (\\d+) new of (\\d+)"))) << o.err;
  EXPECT_EQ(m[1].str(), m[2].str()) << "the first turn evaluates everything";
  rest = m.suffix();
  ASSERT_TRUE(std::regex_search(rest, m, std::regex("prompt (\\d+) new of (\\d+)"))) << o.err;
  EXPECT_LT(std::stoi(m[1].str()), std::stoi(m[2].str())) << o.err;
  EXPECT_NE(o.err.find("(new conversation)"), std::string::npos) << o.err;
  EXPECT_NE(o.err.find("deepseek-v2 layout"), std::string::npos) << o.err;
  EXPECT_NE(o.err.find("layer   1 |"), std::string::npos) << o.err;
}

}  // namespace
}  // namespace dsv4
