// statement.cc: implements statement.h. Statement ends follow sqlite3_complete()
// (SQLite 3.46.1, complete.c); the classifier follows the command rules of SQLite's
// parse.y plus libSQL's additions (READONLY, RANDOM ROWID, ALTER COLUMN, FUNCTION).

#include "sql/statement.h"

#include <algorithm>
#include <array>
#include <cstdint>
#include <string>
#include <utility>

#include "sql/token_cursor.h"
#include "sql/tokenizer.h"

namespace libsql::sql {

namespace {

// sqlite3_complete()'s token classes and states. Whitespace and comments never change
// the state, so they have no class here.
enum Completion : std::uint8_t {
  kSemi,
  kOtherToken,
  kExplainWord,
  kCreateWord,
  kTempWord,
  kTriggerWord,
  kEndWord
};
enum CompleteState : std::uint8_t {
  kStart,
  kNormal,
  kAfterExplain,
  kAfterCreate,
  kInTrigger,
  kTriggerSemi,
  kTriggerEnd
};

// kTransitions[state][token], tokens in Completion's order (; other EXPLAIN CREATE TEMP
// TRIGGER END). A trigger body ends only at ';' END ';'. Only TEMP may come between CREATE
// and TRIGGER, and anything between EXPLAIN and CREATE, exactly as in sqlite3_complete().
// clang-format off
constexpr std::uint8_t kTransitions[7][7] = {
  /* start   */ {kStart, kNormal, kAfterExplain, kAfterCreate, kNormal, kNormal, kNormal},
  /* normal  */ {kStart, kNormal, kNormal, kNormal, kNormal, kNormal, kNormal},
  /* explain */ {kStart, kAfterExplain, kNormal, kAfterCreate, kNormal, kNormal, kNormal},
  /* create  */ {kStart, kNormal, kNormal, kNormal, kAfterCreate, kInTrigger, kNormal},
  /* trigger */ {kTriggerSemi, kInTrigger, kInTrigger, kInTrigger, kInTrigger, kInTrigger,
                 kInTrigger},
  /* ;       */ {kTriggerSemi, kInTrigger, kInTrigger, kInTrigger, kInTrigger, kInTrigger,
                 kTriggerEnd},
  /* ; END   */ {kStart, kInTrigger, kInTrigger, kInTrigger, kInTrigger, kInTrigger,
                 kInTrigger},
};
// clang-format on

Completion completion_of(std::string_view sql, const Token& token) {
  if (token.kind == TokenKind::kSemicolon) return kSemi;
  if (token.kind != TokenKind::kIdentifier) return kOtherToken;
  const std::string_view word = token.text(sql);
  if (equals_ignore_case(word, "CREATE")) return kCreateWord;
  if (equals_ignore_case(word, "TEMP") || equals_ignore_case(word, "TEMPORARY")) return kTempWord;
  if (equals_ignore_case(word, "TRIGGER")) return kTriggerWord;
  if (equals_ignore_case(word, "END")) return kEndWord;
  if (equals_ignore_case(word, "EXPLAIN")) return kExplainWord;
  return kOtherToken;
}

// Walks a script statement by statement.
class StatementScanner {
 public:
  explicit StatementScanner(std::string_view sql) noexcept : sql_(sql) {}

  // The next non-empty statement's span and, if `tokens` is given, its tokens other than
  // trivia (a trigger's inner semicolons included, the ending one not). False at the end.
  bool next(StatementSpan& span, std::vector<Token>* tokens) {
    if (tokens != nullptr) tokens->clear();
    std::uint8_t state = kStart;
    bool started = false;
    while (offset_ < sql_.size()) {
      const Token token = next_token(sql_, offset_);
      offset_ = token.end();
      if (is_trivia(token.kind)) continue;
      state = kTransitions[state][completion_of(sql_, token)];
      if (state == kStart) {  // only a ';' leads back to the start
        if (started) return true;
        continue;
      }
      if (!started) span.offset = token.offset;
      started = true;
      span.length = token.end() - span.offset;
      if (tokens != nullptr) tokens->push_back(token);
    }
    return started;
  }

  // Where the next call starts reading: past the ';' that ended the last statement.
  std::size_t offset() const noexcept { return offset_; }

 private:
  std::string_view sql_;
  std::size_t offset_ = 0;
};

// Pragmas whose bare form (no value) only reports: a setting, a header field, or a
// check; each is one sqlite3_stmt_readonly() also calls read-only. Excluded on purpose:
// those that act when bare (optimize, incremental_vacuum, wal_checkpoint,
// shrink_memory), the setter-only case_sensitive_like, journal_mode (SQLite compiles even
// its query form as a write), and the debugging or deprecated ones. Sorted.
constexpr std::array<std::string_view, 61> kQueryPragmas = {
    "analysis_limit",
    "application_id",
    "auto_vacuum",
    "automatic_index",
    "busy_timeout",
    "cache_size",
    "cache_spill",
    "cell_size_check",
    "checkpoint_fullfsync",
    "collation_list",
    "compile_options",
    "count_changes",
    "data_version",
    "database_list",
    "default_cache_size",
    "defer_foreign_keys",
    "empty_result_callbacks",
    "encoding",
    "foreign_key_check",
    "foreign_key_list",
    "foreign_keys",
    "freelist_count",
    "full_column_names",
    "fullfsync",
    "function_list",
    "hard_heap_limit",
    "ignore_check_constraints",
    "index_info",
    "index_list",
    "index_xinfo",
    "integrity_check",
    "journal_size_limit",
    "legacy_alter_table",
    "lock_status",
    "locking_mode",
    "max_page_count",
    "mmap_size",
    "module_list",
    "page_count",
    "page_size",
    "pragma_list",
    "query_only",
    "quick_check",
    "read_uncommitted",
    "recursive_triggers",
    "reverse_unordered_selects",
    "schema_version",
    "secure_delete",
    "short_column_names",
    "soft_heap_limit",
    "stats",
    "synchronous",
    "table_info",
    "table_list",
    "table_xinfo",
    "temp_store",
    "threads",
    "trusted_schema",
    "user_version",
    "wal_autocheckpoint",
    "writable_schema",
};
static_assert(std::is_sorted(kQueryPragmas.begin(), kQueryPragmas.end()));

// Pragmas whose argument only names what to report on (SQLite's PragFlg_Result1 ones,
// except optimize). Sorted.
constexpr std::array<std::string_view, 10> kQueryPragmasWithArgument = {
    "foreign_key_check", "foreign_key_list", "index_info", "index_list", "index_xinfo",
    "integrity_check",   "quick_check",      "table_info", "table_list", "table_xinfo",
};
static_assert(std::is_sorted(kQueryPragmasWithArgument.begin(), kQueryPragmasWithArgument.end()));

template <std::size_t N>
bool contains(const std::array<std::string_view, N>& sorted, std::string_view name) {
  return std::binary_search(sorted.begin(), sorted.end(), name);
}

bool pragma_is_read_only(std::string_view name, bool has_value) {
  return has_value ? contains(kQueryPragmasWithArgument, name) : contains(kQueryPragmas, name);
}

std::string ascii_lower(std::string text) {
  for (char& c : text) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return text;
}

// INSERT [OR conflict] INTO t, REPLACE INTO t, UPDATE [OR conflict] t, DELETE FROM t.
StatementKind classify_write(TokenCursor& p, StatementInfo& info) {
  StatementKind kind = StatementKind::kOther;
  if (p.accept("INSERT")) {
    if (p.accept("OR")) p.accept(TokenKind::kIdentifier);
    if (!p.accept("INTO")) return StatementKind::kOther;
    kind = StatementKind::kInsert;
  } else if (p.accept("REPLACE")) {
    if (!p.accept("INTO")) return StatementKind::kOther;
    kind = StatementKind::kReplace;
  } else if (p.accept("UPDATE")) {
    if (p.accept("OR")) p.accept(TokenKind::kIdentifier);
    kind = StatementKind::kUpdate;
  } else if (p.accept("DELETE")) {
    if (!p.accept("FROM")) return StatementKind::kOther;
    kind = StatementKind::kDelete;
  } else {
    return StatementKind::kOther;
  }
  p.qualified_name(info.schema_name, info.object_name);
  return kind;
}

// WITH [RECURSIVE] name [(columns)] AS [[NOT] MATERIALIZED] (select), ... then the main
// verb. Walking the CTE list by its grammar (not by looking for the first verb) keeps a
// CTE named like a verb ("WITH replace AS (...) SELECT ...") from fooling it.
StatementKind classify_with(TokenCursor& p, StatementInfo& info) {
  p.accept("WITH");
  p.accept("RECURSIVE");
  do {
    std::string cte;
    if (!p.name(cte)) return StatementKind::kOther;
    if (p.peek_kind(TokenKind::kLeftParen) && !p.skip_group()) return StatementKind::kOther;
    if (!p.accept("AS")) return StatementKind::kOther;
    if (p.accept("NOT")) {
      if (!p.accept("MATERIALIZED")) return StatementKind::kOther;
    } else {
      p.accept("MATERIALIZED");
    }
    if (!p.skip_group()) return StatementKind::kOther;
  } while (p.accept(TokenKind::kComma));
  if (p.peek_keyword("SELECT") || p.peek_keyword("VALUES")) return StatementKind::kSelect;
  return classify_write(p, info);
}

// True if the table options (what follows the column list) include RANDOM ROWID.
bool has_random_rowid(const TokenCursor& p) {
  for (std::size_t ahead = 0; p.position() + ahead < p.size(); ++ahead) {
    if (p.peek_keyword("RANDOM", ahead) && p.peek_keyword("ROWID", ahead + 1)) return true;
  }
  return false;
}

StatementKind classify_create(TokenCursor& p, StatementInfo& info) {
  p.accept("CREATE");
  const bool temp = p.accept("TEMP") || p.accept("TEMPORARY");
  StatementKind kind = StatementKind::kOther;
  if (p.accept("TABLE")) {
    kind = StatementKind::kCreateTable;
  } else if (p.accept("VIEW")) {
    kind = StatementKind::kCreateView;
  } else if (p.accept("TRIGGER")) {
    kind = StatementKind::kCreateTrigger;
  } else if (temp) {
    return StatementKind::kOther;  // SQLite allows TEMP only before TABLE, VIEW, TRIGGER
  } else if (p.accept("VIRTUAL")) {
    if (!p.accept("TABLE")) return StatementKind::kOther;
    kind = StatementKind::kCreateVirtualTable;
  } else if (p.accept("UNIQUE")) {
    if (!p.accept("INDEX")) return StatementKind::kOther;
    kind = StatementKind::kCreateIndex;
  } else if (p.accept("INDEX")) {
    kind = StatementKind::kCreateIndex;
  } else if (p.accept("FUNCTION")) {
    kind = StatementKind::kCreateFunction;
    info.libsql_syntax = LibsqlSyntax::kCreateFunction;
  } else {
    return StatementKind::kOther;
  }
  p.accept_if_exists(/*with_not=*/true);
  p.qualified_name(info.schema_name, info.object_name);
  info.is_temp = temp || equals_ignore_case(info.schema_name, "temp");
  if (kind == StatementKind::kCreateTable && p.skip_group() && has_random_rowid(p)) {
    info.libsql_syntax = LibsqlSyntax::kRandomRowid;
  }
  return kind;
}

StatementKind classify_drop(TokenCursor& p, StatementInfo& info) {
  p.accept("DROP");
  StatementKind kind = StatementKind::kOther;
  if (p.accept("TABLE")) {
    kind = StatementKind::kDropTable;
  } else if (p.accept("INDEX")) {
    kind = StatementKind::kDropIndex;
  } else if (p.accept("VIEW")) {
    kind = StatementKind::kDropView;
  } else if (p.accept("TRIGGER")) {
    kind = StatementKind::kDropTrigger;
  } else if (p.accept("FUNCTION")) {
    kind = StatementKind::kDropFunction;
    info.libsql_syntax = LibsqlSyntax::kDropFunction;
  } else {
    return StatementKind::kOther;
  }
  p.accept_if_exists(/*with_not=*/false);
  p.qualified_name(info.schema_name, info.object_name);
  return kind;
}

// ALTER TABLE t RENAME ... / ADD ... / DROP ... / ALTER COLUMN c TO ... (libSQL).
StatementKind classify_alter(TokenCursor& p, StatementInfo& info) {
  p.accept("ALTER");
  if (!p.accept("TABLE")) return StatementKind::kOther;
  p.qualified_name(info.schema_name, info.object_name);
  if (p.accept("ALTER") && p.peek_keyword("COLUMN")) {
    info.libsql_syntax = LibsqlSyntax::kAlterColumn;
  }
  return StatementKind::kAlterTable;
}

// BEGIN [DEFERRED | IMMEDIATE | EXCLUSIVE | READONLY] [TRANSACTION [name]].
StatementKind classify_begin(TokenCursor& p, StatementInfo& info) {
  p.accept("BEGIN");
  bool explicit_mode = true;
  if (p.accept("DEFERRED")) {
    info.transaction_mode = TransactionMode::kDeferred;
  } else if (p.accept("IMMEDIATE")) {
    info.transaction_mode = TransactionMode::kImmediate;
  } else if (p.accept("EXCLUSIVE")) {
    info.transaction_mode = TransactionMode::kExclusive;
  } else if (p.accept("READONLY")) {
    info.transaction_mode = TransactionMode::kReadOnly;
    info.libsql_syntax = LibsqlSyntax::kBeginReadOnly;
  } else {
    explicit_mode = false;
  }
  // The JS client's read transactions send "BEGIN TRANSACTION READONLY". SQLite (and
  // libSQL's own parser) read that as a deferred transaction named READONLY, which
  // runs unchanged; its intent is a read-only transaction.
  if (p.accept("TRANSACTION") && !explicit_mode && p.peek_keyword("READONLY")) {
    info.transaction_mode = TransactionMode::kReadOnly;
  }
  return StatementKind::kBegin;
}

// ROLLBACK [TRANSACTION [name]] [TO [SAVEPOINT] name].
StatementKind classify_rollback(TokenCursor& p, StatementInfo& info) {
  p.accept("ROLLBACK");
  if (p.accept("TRANSACTION") && p.peek_name() && !p.peek_keyword("TO")) p.seek(p.position() + 1);
  if (!p.accept("TO")) return StatementKind::kRollback;
  p.accept("SAVEPOINT");
  p.name(info.object_name);
  return StatementKind::kRollbackTo;
}

// ATTACH [DATABASE] target AS alias [KEY key]; DETACH [DATABASE] alias.
StatementKind classify_attach(TokenCursor& p, StatementInfo& info) {
  if (p.accept("DETACH")) {
    p.accept("DATABASE");
    info.attach_alias = p.single_name(p.position(), p.size());
    return StatementKind::kDetach;
  }
  p.accept("ATTACH");
  p.accept("DATABASE");
  const std::size_t as = p.find_keyword("AS");
  info.attach_target = p.single_name(p.position(), as);
  if (as == p.size()) return StatementKind::kAttach;
  p.seek(as + 1);
  info.attach_alias = p.single_name(as + 1, p.find_keyword("KEY"));
  return StatementKind::kAttach;
}

// PRAGMA [schema.]name [= value | (value)].
StatementKind classify_pragma(TokenCursor& p, StatementInfo& info) {
  p.accept("PRAGMA");
  std::string name;
  p.qualified_name(info.schema_name, name);
  info.pragma_name = ascii_lower(std::move(name));
  if (p.accept_operator("=") || p.accept_operator("==")) {  // both are SQLite's TK_EQ
    info.pragma_has_value = true;
    info.pragma_value = std::string(p.text(p.position(), p.size()));
  } else if (p.peek_kind(TokenKind::kLeftParen)) {
    const std::size_t open = p.position();
    info.pragma_has_value = true;
    const std::size_t close = p.skip_group() ? p.position() - 1 : p.size();
    info.pragma_value = std::string(p.text(open + 1, close));
  }
  return StatementKind::kPragma;
}

StatementKind classify_command(TokenCursor& p, StatementInfo& info) {
  if (p.peek_keyword("SELECT") || p.peek_keyword("VALUES")) return StatementKind::kSelect;
  if (p.peek_keyword("WITH")) return classify_with(p, info);
  if (p.peek_keyword("INSERT") || p.peek_keyword("REPLACE") || p.peek_keyword("UPDATE") ||
      p.peek_keyword("DELETE")) {
    return classify_write(p, info);
  }
  if (p.peek_keyword("CREATE")) return classify_create(p, info);
  if (p.peek_keyword("DROP")) return classify_drop(p, info);
  if (p.peek_keyword("ALTER")) return classify_alter(p, info);
  if (p.peek_keyword("BEGIN")) return classify_begin(p, info);
  if (p.accept("COMMIT") || p.accept("END")) return StatementKind::kCommit;
  if (p.peek_keyword("ROLLBACK")) return classify_rollback(p, info);
  if (p.accept("SAVEPOINT")) {
    p.name(info.object_name);
    return StatementKind::kSavepoint;
  }
  if (p.accept("RELEASE")) {
    p.accept("SAVEPOINT");
    p.name(info.object_name);
    return StatementKind::kRelease;
  }
  if (p.peek_keyword("ATTACH") || p.peek_keyword("DETACH")) return classify_attach(p, info);
  if (p.peek_keyword("PRAGMA")) return classify_pragma(p, info);
  if (p.accept("VACUUM")) {
    if (!p.peek_keyword("INTO")) p.name(info.schema_name);
    return StatementKind::kVacuum;
  }
  if (p.accept("ANALYZE")) {
    p.qualified_name(info.schema_name, info.object_name);
    return StatementKind::kAnalyze;
  }
  if (p.accept("REINDEX")) {
    p.qualified_name(info.schema_name, info.object_name);
    return StatementKind::kReindex;
  }
  return StatementKind::kOther;
}

// The flags that follow from the kind alone (and, for a pragma, its name and value).
void set_flags(StatementInfo& info) {
  using K = StatementKind;
  const K kind = info.kind;
  info.is_insert = kind == K::kInsert || kind == K::kReplace;
  info.is_iud = info.is_insert || kind == K::kUpdate || kind == K::kDelete;
  info.is_ddl = kind >= K::kCreateTable && kind <= K::kAlterTable;  // contiguous in the enum
  switch (kind) {
    case K::kEmpty:
    case K::kSelect:
    case K::kBegin:
    case K::kCommit:
    case K::kRollback:
    case K::kRollbackTo:
    case K::kSavepoint:
    case K::kRelease:
    case K::kDetach:
      info.is_read_only = true;
      break;
    case K::kPragma:
      info.is_read_only = pragma_is_read_only(info.pragma_name, info.pragma_has_value);
      break;
    default:
      info.is_read_only = false;
      break;
  }
}

}  // namespace

std::vector<StatementSpan> split_statements(std::string_view sql) {
  std::vector<StatementSpan> spans;
  StatementScanner scanner(sql);
  StatementSpan span;
  while (scanner.next(span, nullptr)) spans.push_back(span);
  return spans;
}

bool first_statement(std::string_view sql, FirstStatement& out, std::vector<Token>* tokens) {
  StatementScanner scanner(sql);
  if (!scanner.next(out.span, tokens)) return false;
  out.rest = scanner.offset();
  return true;
}

StatementInfo classify(std::string_view sql) {
  StatementInfo info;
  std::vector<Token> tokens;
  StatementSpan span;
  StatementScanner scanner(sql);
  if (!scanner.next(span, &tokens)) {  // kEmpty
    set_flags(info);
    return info;
  }
  const bool has_error = std::any_of(tokens.begin(), tokens.end(),
                                     [](const Token& token) { return is_error(token.kind); });
  TokenCursor p(sql, tokens);
  const bool explain = p.accept("EXPLAIN");
  const bool query_plan = explain && p.peek_keyword("QUERY") && p.peek_keyword("PLAN", 1);
  if (query_plan) p.seek(p.position() + 2);

  info.kind = p.at_end() ? StatementKind::kOther : classify_command(p, info);
  if (info.kind == StatementKind::kOther) {
    info = StatementInfo{};  // drop whatever a partial match filled in
    info.kind = StatementKind::kOther;
  }
  info.has_error = has_error;
  set_flags(info);
  if (!explain || info.kind == StatementKind::kOther) return info;

  // EXPLAIN [QUERY PLAN] compiles the statement without running it. But a pragma acts
  // while it compiles (foreign_keys, writable_schema, ... set their flag then), so
  // EXPLAIN PRAGMA is only as read-only as the pragma itself.
  info.is_read_only = info.kind != StatementKind::kPragma || info.is_read_only;
  info.explained = info.kind;
  info.kind = StatementKind::kExplain;
  info.explain_query_plan = query_plan;
  info.is_insert = info.is_iud = info.is_ddl = info.is_temp = false;
  info.transaction_mode = TransactionMode::kDeferred;
  return info;
}

std::string_view to_string(StatementKind kind) noexcept {
  switch (kind) {
    case StatementKind::kEmpty:
      return "kEmpty";
    case StatementKind::kSelect:
      return "kSelect";
    case StatementKind::kInsert:
      return "kInsert";
    case StatementKind::kReplace:
      return "kReplace";
    case StatementKind::kUpdate:
      return "kUpdate";
    case StatementKind::kDelete:
      return "kDelete";
    case StatementKind::kCreateTable:
      return "kCreateTable";
    case StatementKind::kCreateVirtualTable:
      return "kCreateVirtualTable";
    case StatementKind::kCreateIndex:
      return "kCreateIndex";
    case StatementKind::kCreateView:
      return "kCreateView";
    case StatementKind::kCreateTrigger:
      return "kCreateTrigger";
    case StatementKind::kCreateFunction:
      return "kCreateFunction";
    case StatementKind::kDropTable:
      return "kDropTable";
    case StatementKind::kDropIndex:
      return "kDropIndex";
    case StatementKind::kDropView:
      return "kDropView";
    case StatementKind::kDropTrigger:
      return "kDropTrigger";
    case StatementKind::kDropFunction:
      return "kDropFunction";
    case StatementKind::kAlterTable:
      return "kAlterTable";
    case StatementKind::kBegin:
      return "kBegin";
    case StatementKind::kCommit:
      return "kCommit";
    case StatementKind::kRollback:
      return "kRollback";
    case StatementKind::kRollbackTo:
      return "kRollbackTo";
    case StatementKind::kSavepoint:
      return "kSavepoint";
    case StatementKind::kRelease:
      return "kRelease";
    case StatementKind::kAttach:
      return "kAttach";
    case StatementKind::kDetach:
      return "kDetach";
    case StatementKind::kPragma:
      return "kPragma";
    case StatementKind::kVacuum:
      return "kVacuum";
    case StatementKind::kAnalyze:
      return "kAnalyze";
    case StatementKind::kReindex:
      return "kReindex";
    case StatementKind::kExplain:
      return "kExplain";
    case StatementKind::kOther:
      return "kOther";
  }
  return "kUnknown";
}

std::string_view to_string(TransactionMode mode) noexcept {
  switch (mode) {
    case TransactionMode::kDeferred:
      return "kDeferred";
    case TransactionMode::kImmediate:
      return "kImmediate";
    case TransactionMode::kExclusive:
      return "kExclusive";
    case TransactionMode::kReadOnly:
      return "kReadOnly";
  }
  return "kUnknown";
}

std::string_view to_string(LibsqlSyntax syntax) noexcept {
  switch (syntax) {
    case LibsqlSyntax::kNone:
      return "kNone";
    case LibsqlSyntax::kBeginReadOnly:
      return "kBeginReadOnly";
    case LibsqlSyntax::kRandomRowid:
      return "kRandomRowid";
    case LibsqlSyntax::kAlterColumn:
      return "kAlterColumn";
    case LibsqlSyntax::kCreateFunction:
      return "kCreateFunction";
    case LibsqlSyntax::kDropFunction:
      return "kDropFunction";
  }
  return "kUnknown";
}

}  // namespace libsql::sql
