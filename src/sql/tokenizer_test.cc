// tokenizer_test.cc: each token shape SQLite 3.46 knows, with its edge cases. The
// expectations were checked against SQLite's own sqlite3GetToken.

#include "sql/tokenizer.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace libsql::sql {
namespace {

using Tokens = std::vector<std::string>;

// Every token of `sql` as "kind:text", trivia included.
Tokens tokens_of(std::string_view sql) {
  Tokens out;
  for (const Token& token : tokenize(sql)) {
    out.push_back(std::string(to_string(token.kind)) + ":" + std::string(token.text(sql)));
  }
  return out;
}

// The kind of `sql` when it is exactly one token, else a description of its tokens.
std::string single(std::string_view sql) {
  const std::vector<Token> tokens = tokenize(sql);
  if (tokens.size() != 1) {
    std::string all;
    for (const std::string& t : tokens_of(sql)) all += "[" + t + "]";
    return "not one token: " + all;
  }
  return std::string(to_string(tokens[0].kind));
}

TEST(Tokenizer, EmptyInputHasNoTokens) { EXPECT_TRUE(tokenize("").empty()); }

TEST(Tokenizer, SplitsASimpleStatementWithOffsets) {
  const std::string_view sql = "SELECT a, 1 FROM t;";
  const std::vector<Token> tokens = tokenize(sql);
  const std::vector<Token> expected = {
      {TokenKind::kIdentifier, 0, 6},  {TokenKind::kWhitespace, 6, 1},
      {TokenKind::kIdentifier, 7, 1},  {TokenKind::kComma, 8, 1},
      {TokenKind::kWhitespace, 9, 1},  {TokenKind::kInteger, 10, 1},
      {TokenKind::kWhitespace, 11, 1}, {TokenKind::kIdentifier, 12, 4},
      {TokenKind::kWhitespace, 16, 1}, {TokenKind::kIdentifier, 17, 1},
      {TokenKind::kSemicolon, 18, 1},
  };
  EXPECT_EQ(tokens, expected);
}

TEST(Tokenizer, NextTokenStartsAnywhere) {
  const std::string_view sql = "a  'b'";
  EXPECT_EQ(next_token(sql, 1), (Token{TokenKind::kWhitespace, 1, 2}));
  EXPECT_EQ(next_token(sql, 3), (Token{TokenKind::kString, 3, 3}));
  EXPECT_EQ(next_token(sql, 4), (Token{TokenKind::kIdentifier, 4, 1}));
}

TEST(Tokenizer, WhitespaceRunsIncludeVerticalTabOnlyAfterTheFirstByte) {
  EXPECT_EQ(single(" \t\n\f\r"), "kWhitespace");
  EXPECT_EQ(single(" \v "), "kWhitespace");
  // SQLite's class table makes \v illegal as the first byte of a token.
  EXPECT_EQ(tokens_of("\v "), (Tokens{"kIllegal:\v", "kWhitespace: "}));
}

TEST(Tokenizer, ByteOrderMarkIsWhitespace) {
  EXPECT_EQ(tokens_of("\xef\xbb\xbfSELECT"),
            (Tokens{"kWhitespace:\xef\xbb\xbf", "kIdentifier:SELECT"}));
  // Without its other two bytes, 0xEF is an ordinary name byte.
  EXPECT_EQ(tokens_of("\xef\xbb x"),
            (Tokens{"kIdentifier:\xef\xbb", "kWhitespace: ", "kIdentifier:x"}));
}

TEST(Tokenizer, LineCommentStopsBeforeNewline) {
  EXPECT_EQ(tokens_of("-- a ; b\nc"),
            (Tokens{"kLineComment:-- a ; b", "kWhitespace:\n", "kIdentifier:c"}));
  EXPECT_EQ(single("--"), "kLineComment");
  EXPECT_EQ(single("-- to the end"), "kLineComment");
}

TEST(Tokenizer, BlockComments) {
  EXPECT_EQ(single("/* a ; b */"), "kBlockComment");
  EXPECT_EQ(single("/**/"), "kBlockComment");
  EXPECT_EQ(tokens_of("/* a */b"), (Tokens{"kBlockComment:/* a */", "kIdentifier:b"}));
  // Block comments do not nest.
  EXPECT_EQ(tokens_of("/* /* */ */"),
            (Tokens{"kBlockComment:/* /* */", "kWhitespace: ", "kOperator:*", "kOperator:/"}));
}

TEST(Tokenizer, UnterminatedBlockCommentRunsToTheEnd) {
  EXPECT_EQ(single("/* never closed; SELECT 1"), "kBlockComment");
  EXPECT_EQ(single("/*/"), "kBlockComment");  // the '*' of "/*" cannot close it
  EXPECT_EQ(single("/* *"), "kBlockComment");
}

TEST(Tokenizer, SlashStarAtTheVeryEndIsTwoOperators) {
  EXPECT_EQ(tokens_of("/*"), (Tokens{"kOperator:/", "kOperator:*"}));
  EXPECT_EQ(tokens_of("1/*"), (Tokens{"kInteger:1", "kOperator:/", "kOperator:*"}));
}

TEST(Tokenizer, StringsDoubleTheirQuote) {
  EXPECT_EQ(single("'it''s'"), "kString");
  EXPECT_EQ(single("''"), "kString");
  EXPECT_EQ(single("''''"), "kString");
  EXPECT_EQ(single("'a;b -- c /* d'"), "kString");
  EXPECT_EQ(tokens_of("'a''b''c'd"), (Tokens{"kString:'a''b''c'", "kIdentifier:d"}));
  EXPECT_EQ(tokens_of("'a' 'b'"), (Tokens{"kString:'a'", "kWhitespace: ", "kString:'b'"}));
}

TEST(Tokenizer, UnterminatedStringIsAnErrorToTheEnd) {
  EXPECT_EQ(single("'abc; SELECT 1"), "kUnterminatedString");
  EXPECT_EQ(single("'"), "kUnterminatedString");
  EXPECT_EQ(single("'it''"), "kUnterminatedString");
}

TEST(Tokenizer, BareWords) {
  EXPECT_EQ(single("select"), "kIdentifier");
  EXPECT_EQ(single("_x9"), "kIdentifier");
  EXPECT_EQ(single("a$b$"), "kIdentifier");               // '$' continues a word
  EXPECT_EQ(single("\xc3\xa9t\xc3\xa9"), "kIdentifier");  // UTF-8 "été"
  EXPECT_EQ(single("\x80\xff\xfe"), "kIdentifier");       // any byte >= 0x80, valid or not
  EXPECT_EQ(tokens_of("a.b"), (Tokens{"kIdentifier:a", "kDot:.", "kIdentifier:b"}));
  EXPECT_EQ(tokens_of("x1 X"), (Tokens{"kIdentifier:x1", "kWhitespace: ", "kIdentifier:X"}));
}

TEST(Tokenizer, QuotedIdentifiers) {
  EXPECT_EQ(single("\"a \"\" b\""), "kQuotedIdentifier");
  EXPECT_EQ(single("`a `` b`"), "kQuotedIdentifier");
  EXPECT_EQ(single("[a \" b]"), "kQuotedIdentifier");
  EXPECT_EQ(single("[]"), "kQuotedIdentifier");
  EXPECT_EQ(single("\"\""), "kQuotedIdentifier");
  // [] has no escape: the first ']' closes it.
  EXPECT_EQ(tokens_of("[a]]"), (Tokens{"kQuotedIdentifier:[a]", "kIllegal:]"}));
}

TEST(Tokenizer, UnterminatedQuotedIdentifiers) {
  EXPECT_EQ(single("\"abc"), "kUnterminatedIdentifier");
  EXPECT_EQ(single("`abc``"), "kUnterminatedIdentifier");
  EXPECT_EQ(single("[abc"), "kUnterminatedIdentifier");
}

TEST(Tokenizer, Integers) {
  EXPECT_EQ(single("0"), "kInteger");
  EXPECT_EQ(single("1234567890123456789012"), "kInteger");
  EXPECT_EQ(single("0x1f"), "kInteger");
  EXPECT_EQ(single("0XABCdef"), "kInteger");
  EXPECT_EQ(tokens_of("-1"), (Tokens{"kOperator:-", "kInteger:1"}));
}

TEST(Tokenizer, Reals) {
  EXPECT_EQ(single("1.5"), "kReal");
  EXPECT_EQ(single("1."), "kReal");
  EXPECT_EQ(single(".5"), "kReal");
  EXPECT_EQ(single("1e10"), "kReal");
  EXPECT_EQ(single("1E+10"), "kReal");
  EXPECT_EQ(single("2.5e-3"), "kReal");
  EXPECT_EQ(single("1.e5"), "kReal");
  EXPECT_EQ(tokens_of("1.5.3"), (Tokens{"kReal:1.5", "kReal:.3"}));
  EXPECT_EQ(tokens_of("1+e"), (Tokens{"kInteger:1", "kOperator:+", "kIdentifier:e"}));
  // A hex number has no fraction: ".5" is a number of its own.
  EXPECT_EQ(tokens_of("0x1.5"), (Tokens{"kInteger:0x1", "kReal:.5"}));
}

TEST(Tokenizer, NumberGluedToAWordIsIllegal) {
  EXPECT_EQ(single("12ab"), "kIllegal");
  EXPECT_EQ(single("1e"), "kIllegal");  // no exponent digits
  EXPECT_EQ(single("1e+"), "not one token: [kIllegal:1e][kOperator:+]");
  EXPECT_EQ(single("0x"), "kIllegal");
  EXPECT_EQ(single("0xg"), "kIllegal");
  EXPECT_EQ(single("0x1g"), "kIllegal");
  EXPECT_EQ(single("1$"), "kIllegal");
  EXPECT_EQ(single("1.5\xc3\xa9"), "kIllegal");
}

TEST(Tokenizer, DigitSeparatorsSitBetweenDigits) {
  EXPECT_EQ(single("1_000_000"), "kInteger");
  EXPECT_EQ(single("0x_1"), "kIllegal");
  EXPECT_EQ(single("0xFF_FF"), "kInteger");
  EXPECT_EQ(single("1_0.2_5"), "kReal");
  EXPECT_EQ(single("1e1_0"), "kReal");
  EXPECT_EQ(single("1__0"), "kIllegal");
  EXPECT_EQ(single("1_"), "kIllegal");
  EXPECT_EQ(single("1_.5"), "kIllegal");
  EXPECT_EQ(single("1._5"), "kIllegal");
  EXPECT_EQ(single("1_e5"), "kIllegal");
  EXPECT_EQ(single("0x1_"), "kIllegal");
  // Not a number at all: '_' starts a word, and "._5" is a dot before a word.
  EXPECT_EQ(single("_1"), "kIdentifier");
  EXPECT_EQ(tokens_of("._5"), (Tokens{"kDot:.", "kIdentifier:_5"}));
}

TEST(Tokenizer, Blobs) {
  EXPECT_EQ(single("x'0A1b'"), "kBlob");
  EXPECT_EQ(single("X''"), "kBlob");
  EXPECT_EQ(single("x'abc'"), "kIllegal");  // odd digit count
  EXPECT_EQ(single("x'zz'"), "kIllegal");
  EXPECT_EQ(single("x'ab"), "kIllegal");
  EXPECT_EQ(tokens_of("x'0g' 1"), (Tokens{"kIllegal:x'0g'", "kWhitespace: ", "kInteger:1"}));
  EXPECT_EQ(tokens_of("x 'a'"), (Tokens{"kIdentifier:x", "kWhitespace: ", "kString:'a'"}));
}

TEST(Tokenizer, Parameters) {
  EXPECT_EQ(single("?"), "kParameter");
  EXPECT_EQ(single("?123"), "kParameter");
  EXPECT_EQ(single(":name"), "kParameter");
  EXPECT_EQ(single("@name"), "kParameter");
  EXPECT_EQ(single("$name"), "kParameter");
  EXPECT_EQ(single("#name"), "kParameter");
  EXPECT_EQ(single(":1"), "kParameter");
  EXPECT_EQ(single("$a$b"), "kParameter");
  EXPECT_EQ(single("@\xc3\xa9"), "kParameter");
  EXPECT_EQ(tokens_of("?a"), (Tokens{"kParameter:?", "kIdentifier:a"}));
  EXPECT_EQ(tokens_of("?1a"), (Tokens{"kParameter:?1", "kIdentifier:a"}));
  EXPECT_EQ(tokens_of(":a:b"), (Tokens{"kParameter::a", "kParameter::b"}));
}

TEST(Tokenizer, TclStyleParameters) {
  EXPECT_EQ(single("$a::b"), "kParameter");
  EXPECT_EQ(single("$::a"), "kParameter");
  EXPECT_EQ(single("$a::b::c(xyz)"), "kParameter");
  EXPECT_EQ(single("$a(1,2)"), "kParameter");
  EXPECT_EQ(single("$a()"), "kParameter");
  EXPECT_EQ(single("$a(b"), "kIllegal");  // the suffix must close
  EXPECT_EQ(tokens_of("$a(b c)"),
            (Tokens{"kIllegal:$a(b", "kWhitespace: ", "kIdentifier:c", "kRightParen:)"}));
  // The "(" suffix needs a name before it.
  EXPECT_EQ(tokens_of("$(a)"),
            (Tokens{"kIllegal:$", "kLeftParen:(", "kIdentifier:a", "kRightParen:)"}));
}

TEST(Tokenizer, ParameterWithoutANameIsIllegal) {
  EXPECT_EQ(single(":"), "kIllegal");
  EXPECT_EQ(single("@"), "kIllegal");
  EXPECT_EQ(single("$::"), "kIllegal");
  EXPECT_EQ(tokens_of(": a"), (Tokens{"kIllegal::", "kWhitespace: ", "kIdentifier:a"}));
}

TEST(Tokenizer, Punctuation) {
  EXPECT_EQ(tokens_of("(),;."),
            (Tokens{"kLeftParen:(", "kRightParen:)", "kComma:,", "kSemicolon:;", "kDot:."}));
}

TEST(Tokenizer, OperatorsTakeTheLongestMatch) {
  for (const char* op : {"-",  "+",  "*",  "/", "%",  "&",  "|",  "~",  "=",  "==", "<",
                         "<=", "<>", "<<", ">", ">=", ">>", "!=", "||", "->", "->>"}) {
    EXPECT_EQ(single(op), "kOperator") << op;
  }
  EXPECT_EQ(tokens_of("a->>'$.b'"), (Tokens{"kIdentifier:a", "kOperator:->>", "kString:'$.b'"}));
  EXPECT_EQ(tokens_of("<<="), (Tokens{"kOperator:<<", "kOperator:="}));
  EXPECT_EQ(tokens_of("|||"), (Tokens{"kOperator:||", "kOperator:|"}));
  EXPECT_EQ(tokens_of("==="), (Tokens{"kOperator:==", "kOperator:="}));
  EXPECT_EQ(tokens_of("->>>"), (Tokens{"kOperator:->>", "kOperator:>"}));
  EXPECT_EQ(tokens_of("<>="), (Tokens{"kOperator:<>", "kOperator:="}));
}

TEST(Tokenizer, BytesSqliteRejectsAreIllegalOneByOne) {
  EXPECT_EQ(tokens_of("!"), (Tokens{"kIllegal:!"}));
  EXPECT_EQ(tokens_of("^\\{}"), (Tokens{"kIllegal:^", "kIllegal:\\", "kIllegal:{", "kIllegal:}"}));
  EXPECT_EQ(tokens_of("\x01\x1f\x7f"), (Tokens{"kIllegal:\x01", "kIllegal:\x1f", "kIllegal:\x7f"}));
  EXPECT_EQ(tokens_of("]"), (Tokens{"kIllegal:]"}));
}

TEST(Tokenizer, NulIsIllegalAndEndsWhatItInterrupts) {
  using namespace std::string_literals;
  EXPECT_EQ(tokens_of("a\0b"s), (Tokens{"kIdentifier:a", "kIllegal:\0"s, "kIdentifier:b"}));
  // SQLite stops reading at a NUL, so a string or comment cut by one is cut there.
  EXPECT_EQ(tokens_of("'a\0b'"s), (Tokens{"kUnterminatedString:'a", "kIllegal:\0"s, "kIdentifier:b",
                                          "kUnterminatedString:'"}));
  EXPECT_EQ(tokens_of("-- a\0b"s), (Tokens{"kLineComment:-- a", "kIllegal:\0"s, "kIdentifier:b"}));
  EXPECT_EQ(tokens_of("/* a\0*/"s),
            (Tokens{"kBlockComment:/* a", "kIllegal:\0"s, "kOperator:*", "kOperator:/"}));
}

TEST(Tokenizer, KeywordCheckIgnoresAsciiCaseAndQuotedNames) {
  const std::string_view sql = "SeLeCt \"select\" selects 'select'";
  const std::vector<Token> tokens = tokenize(sql);
  ASSERT_EQ(tokens.size(), 7u);
  EXPECT_TRUE(is_keyword(sql, tokens[0], "SELECT"));
  EXPECT_TRUE(is_keyword(sql, tokens[0], "select"));
  EXPECT_FALSE(is_keyword(sql, tokens[2], "SELECT")) << "a quoted identifier is a name";
  EXPECT_FALSE(is_keyword(sql, tokens[4], "SELECT"));
  EXPECT_FALSE(is_keyword(sql, tokens[6], "SELECT")) << "a string is not a keyword";
}

TEST(Tokenizer, EqualsIgnoreCaseFoldsOnlyAscii) {
  EXPECT_TRUE(equals_ignore_case("Temp", "TEMP"));
  EXPECT_FALSE(equals_ignore_case("temp", "temps"));
  EXPECT_TRUE(equals_ignore_case("\xc3\xa9", "\xc3\xa9"));
  EXPECT_FALSE(equals_ignore_case("\xc3\xa9", "\xc3\x89"));  // é vs É: not folded
  EXPECT_TRUE(equals_ignore_case("", ""));
}

TEST(Tokenizer, KnowsSqlitesKeywords) {
  for (const char* word : {"SELECT", "select", "Abort", "CURRENT_TIMESTAMP", "WITHOUT", "RETURNING",
                           "MATERIALIZED", "NOTHING", "TEMPORARY", "REGEXP", "INDEXED"}) {
    EXPECT_TRUE(is_sqlite_keyword(word)) << word;
  }
  for (const char* word : {"", "SELECTS", "ROWID", "RANDOM", "READONLY", "FUNCTION", "LANGUAGE",
                           "STRICT", "TRUE", "CURRENT_TIMESTAMPS", "\xc3\xa9"}) {
    EXPECT_FALSE(is_sqlite_keyword(word)) << word;
  }
}

TEST(Tokenizer, DequoteRemovesQuotesAndUndoublesThem) {
  EXPECT_EQ(dequote("'it''s'"), "it's");
  EXPECT_EQ(dequote("\"a\"\"b\""), "a\"b");
  EXPECT_EQ(dequote("`a``b`"), "a`b");
  EXPECT_EQ(dequote("[a b]"), "a b");
  EXPECT_EQ(dequote("''"), "");
  EXPECT_EQ(dequote("plain"), "plain");
  EXPECT_EQ(dequote(""), "");
  EXPECT_EQ(dequote("'open"), "open");
}

TEST(Tokenizer, KindNamesAreDistinct) {
  EXPECT_EQ(to_string(TokenKind::kUnterminatedIdentifier), "kUnterminatedIdentifier");
  EXPECT_TRUE(is_trivia(TokenKind::kBlockComment));
  EXPECT_FALSE(is_trivia(TokenKind::kString));
  EXPECT_TRUE(is_error(TokenKind::kUnterminatedString));
  EXPECT_FALSE(is_error(TokenKind::kParameter));
}

}  // namespace
}  // namespace libsql::sql
