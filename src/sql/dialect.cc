// dialect.cc: implements dialect.h: which statements the dialect touches, and how each
// becomes something stock SQLite prepares.

#include "sql/dialect.h"

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
enum class Lead { kPlain, kBegin, kCreate, kAlter, kInsert, kExplain, kVacuum };

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

// Runs on every prepare, so it reads the first word by hand when the text starts with
// spaces and a letter (nearly always), and leaves comments, ';' and the rest to the
// tokenizer. A first letter that starts none of the words settles it at once.
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

  engine::PreparedPrefix prepare_first(engine::Connection& connection,
                                       std::string_view script) override {
    switch (lead_of(script)) {
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
    const bool none = catalog_->empty(connection);  // the catalog reads the schema now
    const std::uint64_t generation = connection.schema_generation();
    engine::PreparedPrefix prepared =
        none ? connection.prepare_first_plain(script) : prepare_translated(connection, script);
    if (connection.schema_generation() == generation || catalog_->empty(connection)) {
      return prepared;
    }
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
