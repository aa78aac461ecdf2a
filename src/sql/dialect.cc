// dialect.cc: implements dialect.h: which statements the dialect touches, and how each
// becomes something stock SQLite prepares.

#include "sql/dialect.h"

#include <array>
#include <bit>
#include <cstring>
#include <optional>
#include <string>
#include <vector>

#include "engine/connection.h"
#include "engine/function.h"
#include "libsql/error.h"
#include "sql/alter_column.h"
#include "sql/insert_statement.h"
#include "sql/random_rowid.h"
#include "sql/random_rowid_catalog.h"
#include "sql/statement.h"
#include "sql/table_definition.h"
#include "sql/token_cursor.h"

namespace libsql::sql {

namespace {

// What SQLite compiles for a statement whose work is an action (ALTER COLUMN, VACUUM
// with RANDOM ROWID tables): an unknown pragma, which SQLite ignores: no columns, no
// rows, no effect.
constexpr std::string_view kActionStandIn = "PRAGMA libsql_statement_action";

// The first word of a script's first statement, as far as the dialect cares: only
// statements starting with one of these can hold libSQL syntax or need a rewrite.
// kUnknown: quick_lead could not tell; lead_of reads the text properly.
enum class Lead { kPlain, kBegin, kCreate, kAlter, kInsert, kExplain, kVacuum, kUnknown };

// The word `lead_of` compares against for a first letter (lower case), or "".
constexpr std::string_view candidate_for(char letter) noexcept {
  switch (letter) {
    case 'i':
      return "INSERT";
    case 'r':
      return "REPLACE";
    case 'w':
      return "WITH";
    case 'b':
      return "BEGIN";
    case 'c':
      return "CREATE";
    case 'a':
      return "ALTER";
    case 'e':
      return "EXPLAIN";
    case 'v':
      return "VACUUM";
    default:
      return "";
  }
}

constexpr bool is_word_byte(unsigned char c) noexcept {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '$' || c >= 0x80;
}

// Which of the dialect's words the first statement starts with, for texts quick_lead
// did not settle. Reads the first word by hand after spaces, and leaves comments, ';'
// and the rest to the tokenizer.
Lead lead_of(std::string_view script) noexcept {
  std::size_t offset = 0;
  while (offset < script.size() && (script[offset] == ' ' || script[offset] == '\n' ||
                                    script[offset] == '\t' || script[offset] == '\r')) {
    ++offset;
  }
  std::string_view word;
  const auto c = offset < script.size() ? static_cast<unsigned char>(script[offset]) : 0;
  if ((c | 0x20) >= 'a' && (c | 0x20) <= 'z') {
    std::size_t end = offset + 1;
    while (end < script.size() && is_word_byte(static_cast<unsigned char>(script[end]))) ++end;
    word = script.substr(offset, end - offset);
  } else {
    for (; offset < script.size();) {
      const Token token = next_token(script, offset);
      offset = token.end();
      if (is_trivia(token.kind) || token.kind == TokenKind::kSemicolon) continue;
      if (token.kind == TokenKind::kIdentifier) word = token.text(script);
      break;
    }
  }
  if (word.empty()) return Lead::kPlain;
  const std::string_view candidate = candidate_for(static_cast<char>(word[0] | 0x20));
  if (candidate.empty() || !equals_ignore_case(word, candidate)) return Lead::kPlain;
  switch (candidate[0]) {
    case 'I':
    case 'R':
    case 'W':
      return Lead::kInsert;
    case 'B':
      return Lead::kBegin;
    case 'C':
      return Lead::kCreate;
    case 'A':
      return Lead::kAlter;
    case 'E':
      return Lead::kExplain;
    default:
      return Lead::kVacuum;
  }
}

// BEGIN is common and rarely libSQL's: only BEGIN READONLY needs the full reading.
bool begins_readonly(std::string_view script) noexcept {
  int words = 0;
  for (std::size_t offset = 0; offset < script.size() && words < 2;) {
    const Token token = next_token(script, offset);
    offset = token.end();
    if (is_trivia(token.kind) || token.kind == TokenKind::kSemicolon) continue;
    if (++words == 2) return is_keyword(script, token, "READONLY");
  }
  return false;
}

constexpr bool is_ascii_letter(char c) noexcept {
  return static_cast<unsigned char>((c | 0x20) - 'a') < 26;
}

// What the first four bytes of a text say, looked up by its first byte: texts starting
// with a letter that starts none of the dialect's words are plain, those starting with
// the first four letters of one of its words are that word's candidates, and those
// starting with anything else (spaces, comments) need the full reading.
struct LeadPrefix {
  std::uint32_t prefix = 0;  // the four bytes folded to lower case, little-endian
  std::uint32_t mask = 0;
  Lead lead = Lead::kUnknown;
};

constexpr std::array<LeadPrefix, 256> kLeadPrefixes = [] {
  std::array<LeadPrefix, 256> table{};
  for (int c = 'a'; c <= 'z'; ++c) {
    // A prefix no folded text has: its first byte is a lower-case letter, never 1.
    table[c] = table[c - 'a' + 'A'] = LeadPrefix{1, 0xff, Lead::kPlain};
  }
  const auto add = [&table](std::string_view word, Lead lead) {
    std::uint32_t prefix = 0;
    for (std::size_t i = 4; i-- > 0;) prefix = prefix << 8 | static_cast<unsigned char>(word[i]);
    table[word[0]] = table[word[0] - 'a' + 'A'] = LeadPrefix{prefix, 0xffffffff, lead};
  };
  add("insert", Lead::kInsert);
  add("replace", Lead::kInsert);
  add("with", Lead::kInsert);
  add("begin", Lead::kBegin);
  add("create", Lead::kCreate);
  add("alter", Lead::kAlter);
  add("explain", Lead::kExplain);
  add("vacuum", Lead::kVacuum);
  return table;
}();

constexpr std::array<bool, 256> kWordBytes = [] {
  std::array<bool, 256> table{};
  for (int c = 0; c < 256; ++c) table[c] = is_word_byte(static_cast<unsigned char>(c));
  return table;
}();

// The first reading, asked before every prepare, in a dozen instructions: one 4-byte
// load, one table entry, one masked compare. kPlain is certain; any other lead only
// says the text starts with that word's first four letters (or, for kUnknown, with
// something other than a letter).
static_assert(std::endian::native == std::endian::little, "LeadPrefix packs bytes little-endian");
inline Lead quick_lead(std::string_view script) noexcept {
  if (script.size() < 4) return Lead::kUnknown;
  std::uint32_t head;
  std::memcpy(&head, script.data(), 4);
  const LeadPrefix& entry = kLeadPrefixes[head & 0xff];
  // Folding with | 0x20 turns upper-case letters into lower-case ones and no other byte
  // into a letter.
  return ((head | 0x20202020u) & entry.mask) == entry.prefix ? entry.lead : Lead::kPlain;
}

// `script` starts with the first four letters of `candidate`'s word (quick_lead):
// `candidate` if the whole word follows, and kPlain if not.
Lead whole_word(std::string_view script, Lead candidate) noexcept {
  const std::string_view word = candidate_for(static_cast<char>(script[0] | 0x20));
  if (script.size() < word.size()) return Lead::kPlain;
  for (std::size_t i = 4; i < word.size(); ++i) {
    if ((script[i] | 0x20) != (word[i] | 0x20)) return Lead::kPlain;
  }
  const bool word_goes_on =
      script.size() > word.size() && kWordBytes[static_cast<unsigned char>(script[word.size()])];
  return word_goes_on ? Lead::kPlain : candidate;
}

// `script` starts with "begi" in any case. False when that is plainly not BEGIN
// READONLY: not BEGIN at all, BEGIN alone or before ';', or BEGIN, spaces and a word that
// does not start with R. Anything else (comments, R...) needs begins_readonly.
bool may_begin_readonly(std::string_view script) noexcept {
  if (script.size() < 5 || (script[4] | 0x20) != 'n') return false;
  std::size_t i = 5;
  if (i < script.size() && kWordBytes[static_cast<unsigned char>(script[i])]) return false;
  while (i < script.size() && (script[i] == ' ' || script[i] == '\n' || script[i] == '\t')) ++i;
  if (i == script.size() || script[i] == ';') return false;
  return !is_ascii_letter(script[i]) || (script[i] | 0x20) == 'r';
}

class AlterColumnAction final : public engine::StatementAction {
 public:
  explicit AlterColumnAction(AlterColumn alter) : alter_(std::move(alter)) {}
  void run(engine::Connection& connection) override { apply_alter_column(connection, alter_); }

 private:
  AlterColumn alter_;
};

// VACUUM (not INTO) of a database with RANDOM ROWID tables: the VACUUM itself, then
// fresh random rowids where stock SQLite renumbered them.
class VacuumAction final : public engine::StatementAction {
 public:
  VacuumAction(std::string statement, std::string schema,
               std::shared_ptr<RandomRowidCatalog> catalog)
      : statement_(std::move(statement)),
        schema_(std::move(schema)),
        catalog_(std::move(catalog)) {}
  void run(engine::Connection& connection) override {
    connection.execute_script(statement_);
    catalog_->rerandomize_after_vacuum(connection, schema_);
  }

 private:
  std::string statement_;
  std::string schema_;
  std::shared_ptr<RandomRowidCatalog> catalog_;
};

// What SQLite prepares in place of one statement.
struct Translation {
  std::string sql;
  std::shared_ptr<engine::StatementAction> action;
};

class LibsqlSession final : public engine::Dialect::Session {
 public:
  explicit LibsqlSession(std::shared_ptr<RandomRowidCatalog> catalog)
      : catalog_(std::move(catalog)) {}
  ~LibsqlSession() override { catalog_->release_statements(); }

  // Asked before every prepare: the statements the dialect leaves alone (nearly all)
  // are told apart with one load and a table lookup.
  bool may_rewrite(std::string_view script) const noexcept override {
    const Lead lead = quick_lead(script);
    return lead != Lead::kPlain && (lead != Lead::kBegin || may_begin_readonly(script));
  }

  engine::PreparedPrefix prepare_first(engine::Connection& connection,
                                       std::string_view script) override {
    Lead lead = quick_lead(script);
    lead = lead == Lead::kUnknown ? lead_of(script)
           : lead == Lead::kPlain ? lead
                                  : whole_word(script, lead);
    switch (lead) {
      case Lead::kPlain:
        return connection.prepare_first_plain(script);
      case Lead::kInsert:
        return prepare_insert(connection, script);
      case Lead::kBegin:
        return begins_readonly(script) ? prepare_translated(connection, script)
                                       : connection.prepare_first_plain(script);
      default:
        return prepare_translated(connection, script);
    }
  }

 private:
  // Most connections have no RANDOM ROWID table: their INSERTs are prepared as written.
  // Preparing may load a newer schema (another connection's CREATE TABLE), under which
  // the statement is read again.
  engine::PreparedPrefix prepare_insert(engine::Connection& connection, std::string_view script) {
    if (catalog_->was_empty() || catalog_->empty(connection)) {
      // No RANDOM ROWID table when last looked: prepare as written, then ask under the
      // schema the statement was prepared against (one read of the generation).
      engine::PreparedPrefix prepared = connection.prepare_first_plain(script);
      if (catalog_->empty(connection)) return prepared;
      prepared.statement.reset();
    }
    const std::uint64_t generation = connection.schema_generation();
    engine::PreparedPrefix prepared = prepare_translated(connection, script);
    if (connection.schema_generation() == generation) return prepared;
    prepared.statement.reset();
    return prepare_translated(connection, script);
  }

  engine::PreparedPrefix prepare_translated(engine::Connection& connection,
                                            std::string_view script) {
    FirstStatement first;
    if (!first_statement(script, first)) return connection.prepare_first_plain(script);
    std::optional<Translation> translation = translate(connection, first.span.text(script));
    if (!translation) return connection.prepare_first_plain(script);
    engine::PreparedPrefix prepared;
    try {
      prepared = connection.prepare_first_plain(translation->sql);
    } catch (const Error& e) {
      // SQLite's offset points into the rewrite, not into what the caller wrote.
      throw Error(e.code(), e.what());
    }
    if (!prepared.statement) return connection.prepare_first_plain(script);
    if (translation->action) prepared.statement->set_action(std::move(translation->action));
    prepared.rest = script.substr(first.rest);
    return prepared;
  }

  std::optional<Translation> translate(engine::Connection& connection, std::string_view text) {
    const StatementInfo info = classify(text);
    if (info.kind == StatementKind::kExplain) return translate_explain(connection, text);
    switch (info.libsql_syntax) {
      case LibsqlSyntax::kBeginReadOnly:
        return begin_deferred(text);
      case LibsqlSyntax::kAlterColumn: {
        AlterColumn alter = read_alter_column(text);
        plan_alter_column(connection, alter);  // refuses now what the run would refuse
        return Translation{std::string(kActionStandIn),
                           std::make_shared<AlterColumnAction>(std::move(alter))};
      }
      default:
        break;
    }
    // ALTER TABLE t ALTER without COLUMN: libSQL's parser knows the form and names
    // the token where it goes wrong.
    if (info.kind == StatementKind::kAlterTable && is_alter_alter(text)) read_alter_column(text);
    if (info.kind == StatementKind::kCreateTable) return create_table(text);
    if (info.kind == StatementKind::kVacuum) return vacuum(connection, info, text);
    if (info.is_insert) return insert(connection, info, text);
    return std::nullopt;
  }

  static bool is_alter_alter(std::string_view text) {
    const std::vector<Token> tokens = significant_tokens(text);
    TokenCursor p(text, tokens);
    std::string schema;
    std::string table;
    return p.accept("ALTER") && p.accept("TABLE") && p.qualified_name(schema, table) &&
           p.accept("ALTER");
  }

  // libSQL runs BEGIN READONLY as BEGIN DEFERRED (the mode word is all that changes).
  static std::optional<Translation> begin_deferred(std::string_view text) {
    const std::vector<Token> tokens = significant_tokens(text);
    const Token& mode = tokens.at(1);
    std::string sql(text);
    sql.replace(mode.offset, mode.length, "DEFERRED");
    return Translation{std::move(sql), nullptr};
  }

  static std::optional<Translation> create_table(std::string_view text) {
    const std::optional<TableDefinition> table = read_table_definition(text);
    if (!table) return std::nullopt;
    for (const TableOption& option : table->options) {
      if (option.random) return Translation{random_rowid_create_table(text, *table), nullptr};
    }
    return std::nullopt;
  }

  std::optional<Translation> insert(engine::Connection& connection, const StatementInfo& info,
                                    std::string_view text) {
    const RandomRowidTable* table = catalog_->find(connection, info.schema_name, info.object_name);
    if (table == nullptr) return std::nullopt;
    const std::optional<InsertStatement> insert = read_insert_statement(text);
    if (!insert) return std::nullopt;
    std::optional<std::string> sql = random_rowid_insert(text, *insert, *table);
    if (!sql) return std::nullopt;
    return Translation{std::move(*sql), nullptr};
  }

  std::optional<Translation> vacuum(engine::Connection& connection, const StatementInfo& info,
                                    std::string_view text) {
    if (catalog_->empty(connection)) return std::nullopt;
    const std::vector<Token> tokens = significant_tokens(text);
    for (const Token& token : tokens) {
      if (is_keyword(text, token, "INTO")) return std::nullopt;  // the copy is not ours
    }
    const std::string schema = info.schema_name.empty() ? "main" : info.schema_name;
    return Translation{std::string(kActionStandIn),
                       std::make_shared<VacuumAction>(std::string(text), schema, catalog_)};
  }

  // EXPLAIN [QUERY PLAN] of a rewritten statement explains the rewrite; nothing runs.
  std::optional<Translation> translate_explain(engine::Connection& connection,
                                               std::string_view text) {
    const std::vector<Token> tokens = significant_tokens(text);
    std::size_t inner = 1;
    if (tokens.size() > 2 && is_keyword(text, tokens[1], "QUERY") &&
        is_keyword(text, tokens[2], "PLAN")) {
      inner = 3;
    }
    if (inner >= tokens.size()) return std::nullopt;
    const std::size_t offset = tokens[inner].offset;
    std::optional<Translation> translation = translate(connection, text.substr(offset));
    if (!translation) return std::nullopt;
    return Translation{std::string(text.substr(0, offset)) + translation->sql, nullptr};
  }

  std::shared_ptr<RandomRowidCatalog> catalog_;
};

class LibsqlDialect final : public engine::Dialect {
 public:
  std::unique_ptr<Session> attach(engine::Connection& connection) const override {
    auto catalog = std::make_shared<RandomRowidCatalog>();
    engine::create_function(connection, std::string(kRandomRowidFunction),
                            std::make_unique<RandomRowidFunction>(catalog), {.arity = 2});
    migrate_random_rowid_schema(connection);
    return std::make_unique<LibsqlSession>(std::move(catalog));
  }
};

}  // namespace

std::shared_ptr<const engine::Dialect> libsql_dialect() {
  static const auto dialect = std::make_shared<const LibsqlDialect>();
  return dialect;
}

}  // namespace libsql::sql
