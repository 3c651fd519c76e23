// Tokenizer building blocks (UTF-8, byte alphabet, regex splitting, added-token matching, BPE,
// streaming) on small hand-made inputs, and the construction errors.
#include <gtest/gtest.h>

#include <algorithm>
#include <set>

#include "common/error.h"
#include "tokenizer/added_tokens.h"
#include "tokenizer/byte_level.h"
#include "tokenizer/pretokenizer_lists.h"
#include "tokenizer/regex_split.h"
#include "tokenizer/tokenizer.h"
#include "tokenizer/utf8.h"

namespace dsv4 {
namespace {

template <class F>
dsv4_status status_of(F &&f) {
  try {
    f();
  } catch (const Error &e) {
    return e.status();
  }
  return DSV4_OK;
}

template <class F>
std::string message_of(F &&f) {
  try {
    f();
  } catch (const Error &e) {
    return e.message();
  }
  return "";
}

std::string spelled(std::string_view bytes) {  // bytes in the GPT-2 byte alphabet
  std::string out;
  for (char c : bytes) out += byte_level::text_of(static_cast<uint8_t>(c));
  return out;
}

// A tiny vocabulary: ids 0..255 are the byte tokens in byte order, then one token per merge
// (merges given as plain bytes), then the added tokens. No pre-tokenizer unless given.
TokenizerSpec tiny_spec(const std::vector<std::pair<std::string, std::string>> &merges,
                        const std::vector<std::pair<std::string, TokenType>> &added = {},
                        std::vector<std::string> regexes = {}) {
  TokenizerSpec s;
  s.source = "tiny";
  for (int b = 0; b < 256; ++b) {
    s.tokens.push_back(byte_level::text_of(static_cast<uint8_t>(b)));
    s.types.push_back(TokenType::Normal);
  }
  for (const auto &[l, r] : merges) {
    s.merges.emplace_back(spelled(l), spelled(r));
    s.tokens.push_back(spelled(l + r));
    s.types.push_back(TokenType::Normal);
  }
  for (const auto &[text, type] : added) {
    s.tokens.push_back(text);
    s.types.push_back(type);
  }
  s.pre_regexes = std::move(regexes);
  return s;
}

std::vector<std::string> pieces_of(const RegexSplitter &sp, std::string_view text) {
  std::vector<std::string_view> v;
  sp.split(text, v);
  return std::vector<std::string>(v.begin(), v.end());
}

using Strings = std::vector<std::string>;

// ---------------------------------------------------------------------------------- UTF-8

TEST(TokenizerUtf8, DecodeRejectsMalformedSequences) {
  uint32_t cp = 0;
  EXPECT_EQ(utf8::decode("\xE4\xB8\xAD", 0, cp), 3u);
  EXPECT_EQ(cp, 0x4E2Du);
  EXPECT_EQ(utf8::decode("\xF0\x9F\xA6\x99", 0, cp), 4u);
  EXPECT_EQ(cp, 0x1F999u);
  EXPECT_EQ(utf8::decode("\xC0\x80", 0, cp), 0u);      // overlong NUL
  EXPECT_EQ(utf8::decode("\xE0\x80\x80", 0, cp), 0u);  // overlong
  EXPECT_EQ(utf8::decode("\xED\xA0\x80", 0, cp), 0u);  // surrogate U+D800
  EXPECT_EQ(utf8::decode("\xF4\x90\x80\x80", 0, cp), 0u);  // above U+10FFFF
  EXPECT_EQ(utf8::decode("\x80", 0, cp), 0u);
  EXPECT_EQ(utf8::decode("\xE4\xB8", 0, cp), 0u);  // truncated
  EXPECT_TRUE(utf8::is_valid("héllo 中文 🦙"));
  EXPECT_FALSE(utf8::is_valid("a\xFF"));
}

TEST(TokenizerUtf8, IncompleteTailHoldsOnlyPossiblePrefixes) {
  EXPECT_EQ(utf8::incomplete_tail(""), 0u);
  EXPECT_EQ(utf8::incomplete_tail("abc"), 0u);
  EXPECT_EQ(utf8::incomplete_tail("a\xE4"), 1u);
  EXPECT_EQ(utf8::incomplete_tail("a\xE4\xB8"), 2u);
  EXPECT_EQ(utf8::incomplete_tail("a\xE4\xB8\xAD"), 0u);  // complete
  EXPECT_EQ(utf8::incomplete_tail("\xF0\x9F\xA6"), 3u);
  EXPECT_EQ(utf8::incomplete_tail("\x80"), 0u);      // stray continuation: never valid
  EXPECT_EQ(utf8::incomplete_tail("\xFF"), 0u);      // never a lead byte
  EXPECT_EQ(utf8::incomplete_tail("\xC0"), 0u);      // overlong lead
  EXPECT_EQ(utf8::incomplete_tail("\xE0\x80"), 0u);  // bad second byte for E0
  EXPECT_EQ(utf8::incomplete_tail("\xED\xA0"), 0u);  // would be a surrogate
  EXPECT_EQ(utf8::incomplete_tail("\xE4\x41"), 0u);  // lead followed by ASCII
}

// ------------------------------------------------------------------------ byte alphabet

TEST(TokenizerByteLevel, AlphabetIsABijection) {
  std::set<uint32_t> seen;
  for (int b = 0; b < 256; ++b) {
    uint32_t cp = byte_level::code_point_of(static_cast<uint8_t>(b));
    EXPECT_TRUE(seen.insert(cp).second);
    EXPECT_EQ(byte_level::byte_of(cp), static_cast<uint8_t>(b));
  }
  EXPECT_EQ(byte_level::code_point_of(' '), 0x120u);   // 'Ġ'
  EXPECT_EQ(byte_level::code_point_of('\n'), 0x10Au);  // 'Ċ'
  EXPECT_EQ(byte_level::code_point_of('A'), uint32_t{'A'});
  EXPECT_EQ(byte_level::code_point_of(0xAD), 0x143u);  // the last shifted byte
  EXPECT_EQ(byte_level::decode("ĠHello"), std::optional<std::string>(" Hello"));
  EXPECT_EQ(byte_level::decode("<｜User｜>"), std::nullopt);  // not in the alphabet
}

// ------------------------------------------------------------------------ regex splitting

TEST(TokenizerRegexSplit, PiecesCoverTheTextAndKeepGaps) {
  RegexSplitter sp({"\\p{N}+"});
  EXPECT_EQ(pieces_of(sp, "ab12cd345"), (Strings{"ab", "12", "cd", "345"}));
  EXPECT_EQ(pieces_of(sp, ""), Strings{});
  RegexSplitter none({});
  EXPECT_EQ(pieces_of(none, "x y"), Strings{"x y"});
}

TEST(TokenizerRegexSplit, LaterRegexesRunInsideEarlierPieces) {
  // The second regex must not see across the boundary the first one made.
  RegexSplitter sp({"\\d", "[a-z]+"});
  EXPECT_EQ(pieces_of(sp, "ab1cd"), (Strings{"ab", "1", "cd"}));
  RegexSplitter opt({"\\d", "[a-z]+\\d?"});  // "ab1" would be one piece if it could
  EXPECT_EQ(pieces_of(opt, "ab1cd"), (Strings{"ab", "1", "cd"}));
}

TEST(TokenizerRegexSplit, DollarMeansEndOfPieceOnly) {
  RegexSplitter sp({"\\s+$"});
  EXPECT_EQ(pieces_of(sp, "a \n"), (Strings{"a", " \n"}));
  EXPECT_EQ(pieces_of(sp, "a \nb"), Strings{"a \nb"});  // PCRE2's default `$` would match before "\n"
}

TEST(TokenizerRegexSplit, NextLineCountsAsWhitespace) {
  RegexSplitter sp({"\\s+"});
  EXPECT_EQ(pieces_of(sp, "a\xC2\x85" "b"), (Strings{"a", "\xC2\x85", "b"}));
  RegexSplitter not_space({"\\S+"});
  EXPECT_EQ(pieces_of(not_space, "a\xC2\x85" "b"), (Strings{"a", "\xC2\x85", "b"}));
  EXPECT_EQ(pcre2_pattern_of("[^\\s]\\s(?!\\S)"), "[^\\s\\x{85}][\\s\\x{85}](?![^\\s\\x{85}])");
}

TEST(TokenizerRegexSplit, InvalidUtf8StaysInGapPieces) {
  RegexSplitter sp(pretokenizer_regexes("deepseek-v3"));
  std::string text = "ab\xFF\xFE" "cd \xE4\xB8 12345";
  std::vector<std::string> p = pieces_of(sp, text);
  std::string joined;
  for (const auto &s : p) joined += s;
  EXPECT_EQ(joined, text);
  EXPECT_NE(std::find(p.begin(), p.end(), "\xFF\xFE"), p.end());
}

TEST(TokenizerRegexSplit, V3ListSplitsDigitsInThrees) {
  RegexSplitter sp(pretokenizer_regexes("deepseek-v3"));
  EXPECT_EQ(pieces_of(sp, "x1234567"), (Strings{"x", "123", "456", "7"}));
  EXPECT_EQ(pieces_of(sp, "Hello  world"), (Strings{"Hello", " ", " world"}));
  EXPECT_EQ(pieces_of(sp, "深度求索abc"), (Strings{"深度求索", "abc"}));
}

TEST(TokenizerRegexSplit, BadPatternIsUnsupported) {
  EXPECT_EQ(status_of([] { RegexSplitter sp({"(unclosed"}); }), DSV4_ERR_UNSUPPORTED);
  EXPECT_NE(message_of([] { RegexSplitter sp({"(unclosed"}); }).find("(unclosed"), std::string::npos);
}

TEST(TokenizerPreLists, AliasesAndUnknownValues) {
  EXPECT_EQ(pretokenizer_regexes("joyai-llm"), pretokenizer_regexes("deepseek-v3"));
  EXPECT_EQ(pretokenizer_regexes("hunyuan-dense"), pretokenizer_regexes("deepseek-v3"));
  EXPECT_EQ(pretokenizer_regexes("deepseek-llm").size(), 6u);
  EXPECT_EQ(pretokenizer_regexes("deepseek-coder").size(), 5u);
  EXPECT_EQ(status_of([] { pretokenizer_regexes("qwen2"); }), DSV4_ERR_UNSUPPORTED);
  EXPECT_NE(message_of([] { pretokenizer_regexes("qwen2"); }).find("'qwen2'"), std::string::npos);
  EXPECT_EQ(status_of([] { pretokenizer_regexes(""); }), DSV4_ERR_UNSUPPORTED);
  // Every list compiles.
  for (const char *name : {"deepseek-v3", "deepseek-llm", "deepseek-coder"})
    EXPECT_NO_THROW(RegexSplitter sp(pretokenizer_regexes(name))) << name;
}

// ------------------------------------------------------------------------ added tokens

TEST(TokenizerAddedTokens, LeftmostLongestMatch) {
  AddedTokenMatcher m;
  m.add("<a>", 1);
  m.add("<a><b>", 2);
  m.add("b>", 3);
  m.add("", 4);  // ignored
  std::vector<AddedTokenMatcher::Fragment> f;
  m.split("x<a><b>y<a>b>", f);
  ASSERT_EQ(f.size(), 5u);
  EXPECT_EQ(f[0].text, "x");
  EXPECT_EQ(f[0].token, -1);
  EXPECT_EQ(f[1].token, 2);  // longest at the leftmost start
  EXPECT_EQ(f[2].text, "y");
  EXPECT_EQ(f[3].token, 1);
  EXPECT_EQ(f[4].token, 3);
  m.split("<a", f);  // a prefix of a token is plain text
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0].token, -1);
  EXPECT_EQ(m.size(), 3u);
}

// ------------------------------------------------------------------------ BPE

TEST(TokenizerBpe, LowestRankFirstThenLeftmost) {
  // ranks: 0 "a"+"b", 1 "ab"+"c", 2 "b"+"c", 3 "a"+"a"
  Tokenizer t(tiny_spec({{"a", "b"}, {"ab", "c"}, {"b", "c"}, {"a", "a"}}));
  const int32_t ab = 256, abc = 257, aa = 259;
  EXPECT_EQ(t.encode("abc", false, false), (std::vector<int32_t>{abc}));
  EXPECT_EQ(t.encode("aaa", false, false), (std::vector<int32_t>{aa, 'a'}));  // tie: leftmost pair
  EXPECT_EQ(t.encode("aab", false, false), (std::vector<int32_t>{'a', ab}));  // "ab" outranks "aa"
  EXPECT_EQ(t.encode("", false, false), std::vector<int32_t>{});
  EXPECT_EQ(t.decode(t.encode("aabcx", false, false)), "aabcx");
}

TEST(TokenizerBpe, AddedTokensOnlyWithParseSpecial) {
  Tokenizer t(tiny_spec({}, {{"<ctl>", TokenType::Control}, {"<usr>", TokenType::UserDefined},
                             {"<pad>", TokenType::Unused}}));
  const int32_t ctl = 256, usr = 257, pad = 258;
  EXPECT_EQ(t.encode("a<ctl>b<usr>", false, true), (std::vector<int32_t>{'a', ctl, 'b', usr}));
  std::vector<int32_t> plain = t.encode("a<ctl>b<usr>", false, false);
  EXPECT_EQ(std::count(plain.begin(), plain.end(), ctl), 0);
  EXPECT_EQ(std::count(plain.begin(), plain.end(), usr), 0);
  EXPECT_EQ(t.decode(plain), "a<ctl>b<usr>");
  EXPECT_EQ(t.encode("<pad>", false, true).size(), 5u);  // UNUSED tokens are never matched
  EXPECT_EQ(t.decode(std::vector<int32_t>{ctl, 'x', usr, pad}), "<ctl>x<usr>");
  EXPECT_EQ(t.decode(std::vector<int32_t>{ctl, 'x', usr}, /*skip_special=*/true), "x<usr>");
}

TEST(TokenizerBpe, DecodeChecksIds) {
  Tokenizer t(tiny_spec({}));
  EXPECT_EQ(status_of([&] { t.decode(std::vector<int32_t>{1, 256}); }), DSV4_ERR_TOKEN_OUT_OF_RANGE);
  EXPECT_EQ(status_of([&] { t.decode(std::vector<int32_t>{-1}); }), DSV4_ERR_TOKEN_OUT_OF_RANGE);
  EXPECT_NE(message_of([&] { t.decode(std::vector<int32_t>{1, 999}); }).find("999 at position 1"), std::string::npos);
  EXPECT_EQ(status_of([&] { t.token_to_piece(256); }), DSV4_ERR_TOKEN_OUT_OF_RANGE);
  EXPECT_EQ(status_of([&] { t.encode("x", /*add_bos=*/true, false); }), DSV4_ERR_INVALID_ARGUMENT);  // no BOS
}

TEST(TokenizerBpe, ConstructionErrorsNameTheProblem) {
  TokenizerSpec no_byte = tiny_spec({});
  no_byte.tokens[0x41] = "not-A";
  EXPECT_EQ(status_of([&] { Tokenizer t(no_byte); }), DSV4_ERR_FORMAT);
  EXPECT_NE(message_of([&] { Tokenizer t(no_byte); }).find("byte 0x41"), std::string::npos);

  TokenizerSpec bad_merge = tiny_spec({});
  bad_merge.merges.emplace_back("a", "b");  // "ab" is not a token
  EXPECT_NE(message_of([&] { Tokenizer t(bad_merge); }).find("'ab' is not in the vocabulary"), std::string::npos);

  TokenizerSpec bad_types = tiny_spec({});
  bad_types.types.pop_back();
  EXPECT_EQ(status_of([&] { Tokenizer t(bad_types); }), DSV4_ERR_FORMAT);

  TokenizerSpec bad_bos = tiny_spec({});
  bad_bos.bos = 256;
  EXPECT_NE(message_of([&] { Tokenizer t(bad_bos); }).find("BOS token id 256"), std::string::npos);

  TokenizerSpec empty;
  EXPECT_EQ(status_of([&] { Tokenizer t(empty); }), DSV4_ERR_FORMAT);
}

// ------------------------------------------------------------------------ streaming

TEST(TokenizerStream, HoldsIncompleteSequencesOnly) {
  Tokenizer t(tiny_spec({}, {{"<eos>", TokenType::Control}}));
  StreamDecoder d(t);
  EXPECT_EQ(d.push(0xE4), "");
  EXPECT_EQ(d.push(0xB8), "");
  EXPECT_EQ(d.pending_bytes(), 2u);
  EXPECT_EQ(d.push(0xAD), "\xE4\xB8\xAD");
  EXPECT_EQ(d.push('a'), "a");
  EXPECT_EQ(d.push(0xE4), "");
  EXPECT_EQ(d.push('b'), "\xE4" "b");  // can never complete: passed on as it is
  EXPECT_EQ(d.push(0xFF), "\xFF");
  EXPECT_EQ(d.push(0xF0), "");
  EXPECT_EQ(d.flush(), "\xF0");
  EXPECT_EQ(d.pending_bytes(), 0u);
  EXPECT_EQ(status_of([&] { d.push(9999); }), DSV4_ERR_TOKEN_OUT_OF_RANGE);
  StreamDecoder skip(t, /*skip_special=*/true);
  EXPECT_EQ(skip.push(256), "");
  EXPECT_EQ(d.push(256), "<eos>");
}

}  // namespace
}  // namespace dsv4
