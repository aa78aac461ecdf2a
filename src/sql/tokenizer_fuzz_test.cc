// tokenizer_fuzz_test.cc: random bytes, SQL-shaped noise and mutated statements through
// the tokenizer, the splitter and the classifier for about two seconds, checking that
// each terminates and keeps its invariants. Inputs come from a fixed seed, so a failure
// names the input that caused it and reproduces.

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "sql/statement.h"
#include "sql/tokenizer.h"

namespace libsql::sql {
namespace {

constexpr auto kBudget = std::chrono::seconds(2);

// Printable form of a fuzz input for failure messages.
std::string escaped(std::string_view input) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (const char ch : input) {
    const auto c = static_cast<unsigned char>(ch);
    if (c >= 0x20 && c < 0x7f && c != '\\') {
      out += ch;
    } else {
      out += "\\x";
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

const std::vector<std::string>& corpus() {
  static const std::vector<std::string> statements = {
      "SELECT a, 'it''s', \"b\", [c], `d`, x'0aFF', 1_000, 0x1F, 1.5e-3, ?1, :n, @m, $t::v(i) "
      "FROM t WHERE a->>'$.k' <> 2 AND b || c >= 3 -- c\n",
      "WITH RECURSIVE c(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM c) SELECT * FROM c",
      "WITH x AS MATERIALIZED (SELECT ')') INSERT OR REPLACE INTO main.t(a) SELECT * FROM x",
      "CREATE TRIGGER tr AFTER INSERT ON t WHEN CASE WHEN 1 THEN 1 END BEGIN "
      "UPDATE t SET a = CASE a WHEN 1 THEN 2 END; SELECT '; END;'; END",
      "CREATE TEMP TABLE IF NOT EXISTS temp.t(id INTEGER PRIMARY KEY, v TEXT) RANDOM ROWID",
      "ALTER TABLE t ALTER COLUMN c TO c INTEGER NOT NULL DEFAULT 0",
      "BEGIN TRANSACTION READONLY",
      "EXPLAIN QUERY PLAN PRAGMA main.table_info('t')",
      "ATTACH DATABASE 'file.db' AS \"alias\" KEY 'k'",
      "PRAGMA journal_mode = WAL; VACUUM INTO '/tmp/x.db'; ROLLBACK TO SAVEPOINT s",
      "CREATE FUNCTION IF NOT EXISTS f LANGUAGE wasm AS X'0061736d'; DROP FUNCTION f",
      "/* block */ DELETE FROM t RETURNING *; /* unterminated",
  };
  return statements;
}

const std::vector<std::string>& fragments() {
  static const std::vector<std::string> pieces = {
      "SELECT",   "select",   "WITH",
      "AS",       "(",        ")",
      ";",        ",",        ".",
      "CREATE",   "TEMP",     "TRIGGER",
      "BEGIN",    "END",      "CASE",
      "EXPLAIN",  "QUERY",    "PLAN",
      "INSERT",   "INTO",     "REPLACE",
      "UPDATE",   "DELETE",   "FROM",
      "PRAGMA",   "=",        "ATTACH",
      "RANDOM",   "ROWID",    "ALTER",
      "COLUMN",   "READONLY", "'",
      "''",       "\"",       "`",
      "[",        "]",        "x'",
      "0x",       "1",        "_",
      "e",        "+",        "-",
      "/*",       "*/",       "--",
      "\n",       " ",        "\t",
      "\v",       "$",        ":",
      "::",       "@",        "#",
      "?",        "!",        "<",
      ">",        "|",        "\xef\xbb\xbf",
      "\xc3\xa9", "\xff",     std::string(1, '\0'),
  };
  return pieces;
}

std::string random_bytes(std::mt19937_64& rng) {
  std::string out(rng() % 64, '\0');
  for (char& c : out) c = static_cast<char>(rng() & 0xff);
  return out;
}

std::string random_fragments(std::mt19937_64& rng) {
  std::string out;
  const std::size_t count = rng() % 40;
  for (std::size_t i = 0; i < count; ++i) {
    out += fragments()[rng() % fragments().size()];
    if (rng() % 3 == 0) out += ' ';
  }
  return out;
}

std::string mutated_statement(std::mt19937_64& rng) {
  std::string out = corpus()[rng() % corpus().size()];
  const std::size_t edits = 1 + rng() % 4;
  for (std::size_t i = 0; i < edits; ++i) {
    const std::size_t at = out.empty() ? 0 : rng() % (out.size() + 1);
    switch (rng() % 5) {
      case 0:  // insert a random byte
        out.insert(at, 1, static_cast<char>(rng() & 0xff));
        break;
      case 1:  // delete a run
        out.erase(at, rng() % 8);
        break;
      case 2:  // insert a fragment
        out.insert(at, fragments()[rng() % fragments().size()]);
        break;
      case 3:  // splice in part of another statement
      {
        const std::string& other = corpus()[rng() % corpus().size()];
        const std::size_t from = rng() % other.size();
        out.insert(at, other.substr(from, rng() % 30));
        break;
      }
      default:  // truncate
        out.resize(at);
        break;
    }
  }
  return out;
}

// Tokens cover the input exactly, in order, without overlap or empty tokens; any
// token boundary is a fresh start (the tokenizer keeps no state) and any prefix that
// ends at a boundary tokenizes the same.
void check_tokens(std::string_view input, std::mt19937_64& rng) {
  const std::vector<Token> tokens = tokenize(input);
  std::size_t offset = 0;
  for (const Token& token : tokens) {
    ASSERT_EQ(token.offset, offset) << "gap or overlap in: " << escaped(input);
    ASSERT_GE(token.length, 1u) << "empty token in: " << escaped(input);
    offset = token.end();
  }
  ASSERT_EQ(offset, input.size()) << "tokens do not reach the end of: " << escaped(input);
  if (tokens.empty()) return;

  const std::size_t cut = rng() % tokens.size();
  const std::vector<Token> prefix = tokenize(input.substr(0, tokens[cut].end()));
  ASSERT_TRUE(std::equal(prefix.begin(), prefix.end(), tokens.begin(), tokens.begin() + cut + 1))
      << "prefix tokenizes differently in: " << escaped(input);
  ASSERT_EQ(prefix.size(), cut + 1) << escaped(input);

  const std::size_t start = tokens[cut].offset;
  for (std::size_t i = cut, at = start; i < tokens.size(); ++i) {
    const Token token = next_token(input, at);
    ASSERT_EQ(token, tokens[i]) << "restart at " << start << " differs in: " << escaped(input);
    at = token.end();
  }
}

// Spans are in order, disjoint, non-empty, and start and end on token boundaries with no
// trivia or leading ';' at either end; only trivia and ';' lie between them.
void check_spans(std::string_view input) {
  const std::vector<Token> tokens = tokenize(input);
  const std::vector<StatementSpan> spans = split_statements(input);
  std::size_t t = 0;  // index of the next token not yet accounted for
  for (const StatementSpan& span : spans) {
    ASSERT_GE(span.length, 1u) << escaped(input);
    ASSERT_LE(span.end(), input.size()) << escaped(input);
    while (t < tokens.size() && tokens[t].offset < span.offset) {
      ASSERT_TRUE(is_trivia(tokens[t].kind) || tokens[t].kind == TokenKind::kSemicolon)
          << "a statement token outside every span in: " << escaped(input);
      ++t;
    }
    ASSERT_LT(t, tokens.size()) << escaped(input);
    ASSERT_EQ(tokens[t].offset, span.offset) << "span starts inside a token: " << escaped(input);
    ASSERT_FALSE(is_trivia(tokens[t].kind)) << escaped(input);
    ASSERT_NE(tokens[t].kind, TokenKind::kSemicolon) << escaped(input);
    while (t < tokens.size() && tokens[t].end() < span.end()) ++t;
    ASSERT_LT(t, tokens.size()) << escaped(input);
    ASSERT_EQ(tokens[t].end(), span.end()) << "span ends inside a token: " << escaped(input);
    ASSERT_FALSE(is_trivia(tokens[t].kind)) << escaped(input);
    ++t;
  }
  for (; t < tokens.size(); ++t) {
    ASSERT_TRUE(is_trivia(tokens[t].kind) || tokens[t].kind == TokenKind::kSemicolon)
        << "a statement token after the last span in: " << escaped(input);
  }
}

// The flags agree with each other and with the kind; the whole input classifies as its
// first statement does alone.
void check_classification(std::string_view input) {
  const StatementInfo info = classify(input);
  EXPECT_TRUE(!info.is_insert || info.is_iud) << escaped(input);
  EXPECT_TRUE(!info.is_iud || !info.is_read_only) << escaped(input);
  EXPECT_TRUE(!info.is_ddl || !info.is_read_only) << escaped(input);
  EXPECT_TRUE(info.kind != StatementKind::kSelect || info.is_read_only) << escaped(input);
  if (info.kind == StatementKind::kOther) {
    EXPECT_FALSE(info.is_read_only) << escaped(input);
    EXPECT_EQ(info.libsql_syntax, LibsqlSyntax::kNone) << escaped(input);
  }
  if (info.kind != StatementKind::kExplain) {
    EXPECT_EQ(info.explained, StatementKind::kEmpty) << escaped(input);
  }

  const std::vector<StatementSpan> spans = split_statements(input);
  if (spans.empty()) {
    EXPECT_EQ(info.kind, StatementKind::kEmpty) << escaped(input);
    return;
  }
  const std::string_view first = spans[0].text(input);
  const StatementInfo alone = classify(first);
  EXPECT_EQ(alone.kind, info.kind) << escaped(input);
  EXPECT_EQ(alone.is_read_only, info.is_read_only) << escaped(input);
  EXPECT_EQ(alone.is_iud, info.is_iud) << escaped(input);
  EXPECT_EQ(alone.has_error, info.has_error) << escaped(input);
  EXPECT_EQ(alone.object_name, info.object_name) << escaped(input);
  const std::vector<Token> tokens = tokenize(first);
  const bool any_error = std::any_of(tokens.begin(), tokens.end(),
                                     [](const Token& token) { return is_error(token.kind); });
  EXPECT_EQ(info.has_error, any_error) << escaped(input);
}

TEST(SqlFuzz, RandomAndMutatedInputsKeepTheInvariants) {
  std::mt19937_64 rng(20240601);
  const auto deadline = std::chrono::steady_clock::now() + kBudget;
  std::uint64_t runs = 0;
  while (std::chrono::steady_clock::now() < deadline && !HasFailure()) {
    std::string input;
    switch (runs % 3) {
      case 0:
        input = random_bytes(rng);
        break;
      case 1:
        input = random_fragments(rng);
        break;
      default:
        input = mutated_statement(rng);
        break;
    }
    check_tokens(input, rng);
    check_spans(input);
    check_classification(input);
    ++runs;
  }
  EXPECT_GT(runs, 1000u) << "the fuzz loop barely ran";
  RecordProperty("runs", std::to_string(runs));
}

// Large inputs built to make a careless scanner quadratic (deep nesting, long
// unterminated tokens, thousands of statements). Each finishes within ctest's timeout
// only if every pass is linear.
TEST(SqlFuzz, LargeAdversarialInputsFinish) {
  constexpr std::size_t kSize = 1 << 20;
  std::string many_ctes = "WITH a AS (SELECT 1)";
  while (many_ctes.size() < kSize) many_ctes += ", a AS (SELECT 1)";
  many_ctes += " DELETE FROM t";
  const std::vector<std::string> inputs = {
      std::string(kSize, '('),
      "WITH x AS " + std::string(kSize, '('),
      "ATTACH " + std::string(kSize, '(') + " AS y",
      "PRAGMA p(" + std::string(kSize, '('),
      "CREATE TABLE t(a)" + std::string(kSize / 2, ',') + " RANDOM ROWID",
      "'" + std::string(kSize, 'a'),
      "/*" + std::string(kSize, '*'),
      "x'" + std::string(kSize, '0'),
      std::string(kSize, ';'),
      "CREATE TRIGGER tr BEGIN " + std::string(kSize, ';'),
      [] {
        std::string many;
        while (many.size() < kSize) many += "SELECT 1;";
        return many;
      }(),
      many_ctes,
  };
  for (const std::string& input : inputs) {
    const std::vector<Token> tokens = tokenize(input);
    EXPECT_EQ(tokens.empty() ? 0 : tokens.back().end(), input.size());
    const std::vector<StatementSpan> spans = split_statements(input);
    const StatementInfo info = classify(input);
    EXPECT_LE(spans.size(), input.size());
    EXPECT_NE(to_string(info.kind), "kUnknown");
  }
  EXPECT_EQ(classify(many_ctes).kind, StatementKind::kDelete);
}

}  // namespace
}  // namespace libsql::sql
