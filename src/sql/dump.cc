// dump.cc: write_dump() (dump.h): SQL dumps in sqld's format; dump_loader.cc loads them.
//
// Where sqld's writer (libsql-server/src/connection/dump/exporter.rs) loses a value,
// this one writes a form that loads back exactly, and otherwise writes sqld's text:
//   - reals: sqld prints Rust's shortest decimal, but SQLite's text-to-double is not
//     always correctly rounded (about 2 in 10,000 random doubles come back one ulp off),
//     and 1.0 comes out as "1", an INTEGER. Here: the shortest decimal when SQLite reads
//     it back to the same bits (checked with SQLite itself), else 17 significant
//     digits, which it always reads exactly; ".0" is added to integral values; -0.0
//     keeps its sign; infinities are 1e999 and -1e999.
//   - text: as sqld (quotes doubled, newlines and carriage returns through replace()
//     and char()), but text holding NUL or invalid UTF-8, which SQLite can store and
//     sqld cannot dump, is CAST(X'...' AS TEXT). Assumes a UTF-8 database, as sqld.
//   - rowids: see RowidPolicy. Rows of rowid tables are read in rowid order, so a copy
//     that numbers them afresh numbers them in the same order.
//   - names are quoted as sqlite3's shell quotes them (ASCII letters, digits and '_'
//     only, not a keyword), with embedded quotes doubled, which sqld forgets.

#include "sql/dump.h"

#include <algorithm>
#include <array>
#include <bit>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "engine/connection.h"
#include "engine/statement.h"
#include "sql/statement.h"
#include "sql/table_definition.h"
#include "sql/tokenizer.h"

namespace libsql::sql {

namespace {

using engine::Connection;
using engine::Statement;

// ---------------------------------------------------------------------------------------
// Writing values and names

bool is_ascii_alpha(char c) noexcept { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool is_ascii_alnum(char c) noexcept { return is_ascii_alpha(c) || (c >= '0' && c <= '9'); }

// `name` in double quotes; or, if `only_if_needed`, as sqlite3's shell writes it: bare
// if it is a plain word and no keyword.
void append_name(std::string& out, std::string_view name, bool only_if_needed = false) {
  bool plain = !name.empty() && (is_ascii_alpha(name[0]) || name[0] == '_');
  for (const char c : name) plain = plain && (is_ascii_alnum(c) || c == '_');
  if (only_if_needed && plain && !is_sqlite_keyword(name)) {
    out += name;
    return;
  }
  out += '"';
  for (const char c : name) (c == '"' ? out += "\"\"" : out += c);
  out += '"';
}

void append_blob(std::string& out, std::span<const std::uint8_t> bytes) {
  static constexpr char kHex[] = "0123456789abcdef";
  out += "X'";
  const std::size_t start = out.size();
  out.resize(start + 2 * bytes.size());
  char* p = out.data() + start;
  for (const std::uint8_t b : bytes) {
    *p++ = kHex[b >> 4];
    *p++ = kHex[b & 15];
  }
  out += '\'';
}

// Well-formed UTF-8: no overlong forms, surrogates or code points past U+10FFFF.
bool is_valid_utf8(std::string_view text) noexcept {
  static constexpr std::uint32_t kMinimum[] = {0, 0x80, 0x800, 0x10000};
  for (std::size_t i = 0; i < text.size();) {
    const auto c = static_cast<unsigned char>(text[i]);
    const std::size_t n = c < 0x80   ? 0
                          : c < 0xc0 ? 4
                          : c < 0xe0 ? 1
                          : c < 0xf0 ? 2
                          : c < 0xf8 ? 3
                                     : 4;
    if (n == 4 || text.size() - i <= n) return false;
    std::uint32_t code = c & (0x7f >> n);
    for (std::size_t k = 1; k <= n; ++k) {
      const auto next = static_cast<unsigned char>(text[i + k]);
      if ((next & 0xc0) != 0x80) return false;
      code = (code << 6) | (next & 0x3f);
    }
    if (code < kMinimum[n] || code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff)) return false;
    i += n + 1;
  }
  return true;
}

// A stand-in for a newline or carriage return that `text` does not contain, as sqld and
// sqlite3's shell choose it. Each candidate's first byte occurs nowhere else in it, so
// no occurrence can straddle a stand-in and its neighbours: the replace() calls undo
// exactly what was substituted.
std::string unused_token(std::string_view text, std::string_view first, std::string_view second) {
  if (text.find(first) == std::string_view::npos) return std::string(first);
  if (text.find(second) == std::string_view::npos) return std::string(second);
  for (unsigned i = 0;; ++i) {
    std::string token = "(" + std::string(first) + std::to_string(i) + ")";
    if (text.find(token) == std::string_view::npos) return token;
  }
}

void append_text(std::string& out, std::string_view text) {
  if (text.find('\0') != std::string_view::npos || !is_valid_utf8(text)) {
    out += "CAST(";
    append_blob(out, {reinterpret_cast<const std::uint8_t*>(text.data()), text.size()});
    out += " AS TEXT)";
    return;
  }
  const bool has_newline = text.find('\n') != std::string_view::npos;
  const bool has_return = text.find('\r') != std::string_view::npos;
  std::string newline_token, return_token;
  if (has_newline) {
    out += "replace(";
    newline_token = unused_token(text, "\\n", "\\012");
  }
  if (has_return) {
    out += "replace(";
    return_token = unused_token(text, "\\r", "\\015");
  }
  out += '\'';
  for (std::size_t pos = 0; pos < text.size();) {
    const std::size_t special = std::min(text.find_first_of("'\n\r", pos), text.size());
    out.append(text, pos, special - pos);
    if (special == text.size()) break;
    const char c = text[special];
    out += c == '\'' ? std::string_view("''") : c == '\n' ? newline_token : return_token;
    pos = special + 1;
  }
  out += '\'';
  if (has_return) out += ",'" + return_token + "',char(13))";
  if (has_newline) out += ",'" + newline_token + "',char(10))";
}

void append_integer(std::string& out, std::int64_t value) {
  std::array<char, 24> buffer;
  const auto result = std::to_chars(buffer.data(), buffer.data() + buffer.size(), value);
  out.append(buffer.data(), result.ptr);
}

// Writes reals so that SQLite reads each back to the same bits (see the file comment).
class RealWriter {
 public:
  explicit RealWriter(Connection& connection) : connection_(connection) {}

  void append(std::string& out, double value) {
    if (std::isnan(value)) {  // SQLite stores NaN as NULL; it never reaches here
      out += "NULL";
      return;
    }
    if (std::isinf(value)) {
      out += value > 0 ? "1e999" : "-1e999";
      return;
    }
    // The magnitude is written and checked; a '-' in front negates it exactly.
    const double magnitude = std::fabs(value);
    std::array<char, 40> buffer;
    char* const begin = buffer.data();
    char* end = std::to_chars(begin, begin + 32, magnitude).ptr;
    end = with_fraction(begin, end);
    // Integral values below 2^53 are read exactly: SQLite converts their digits as one
    // 64-bit integer.
    const bool exact = magnitude < 0x1p53 && magnitude == std::floor(magnitude);
    if (!exact && !reads_back({begin, end}, magnitude)) {
      end = std::to_chars(begin, begin + 32, magnitude, std::chars_format::general, 17).ptr;
      end = with_fraction(begin, end);
    }
    if (std::signbit(value)) out += '-';
    out.append(begin, end);
  }

 private:
  // "1" would load as an INTEGER.
  static char* with_fraction(char* begin, char* end) {
    if (std::find_if(begin, end, [](char c) { return c == '.' || c == 'e'; }) == end) {
      *end++ = '.';
      *end++ = '0';
    }
    return end;
  }

  // CAST(text AS REAL) converts with the same function (sqlite3AtoF) as a literal.
  bool reads_back(std::string_view literal, double expected) {
    if (!check_) check_.emplace(connection_.prepare("SELECT CAST(?1 AS REAL)"));
    check_->reset();
    check_->bind(1, ValueView(literal), Statement::Lifetime::kBorrow);
    const bool same = check_->step() && std::bit_cast<std::uint64_t>(check_->column_real(0)) ==
                                            std::bit_cast<std::uint64_t>(expected);
    check_->reset();
    check_->clear_bindings();
    return same;
  }

  Connection& connection_;
  std::optional<Statement> check_;
};

// ---------------------------------------------------------------------------------------
// The dump writer

// Collects the dump and hands the sink chunks of exactly chunk_bytes, the last shorter.
class ChunkedOutput {
 public:
  ChunkedOutput(const DumpSink& sink, std::size_t chunk_bytes)
      : sink_(sink), chunk_bytes_(std::max<std::size_t>(chunk_bytes, 1)) {
    buffer_.reserve(std::min<std::size_t>(chunk_bytes_, 1 << 20) + 4096);
  }

  std::string& text() noexcept { return buffer_; }

  void flush_full_chunks() {
    if (buffer_.size() < chunk_bytes_) return;
    std::size_t pos = 0;
    for (; buffer_.size() - pos >= chunk_bytes_; pos += chunk_bytes_) {
      sink_(std::string_view(buffer_).substr(pos, chunk_bytes_));
    }
    buffer_.erase(0, pos);
  }

  void finish() {
    flush_full_chunks();
    if (!buffer_.empty()) sink_(buffer_);
    buffer_.clear();
  }

 private:
  const DumpSink& sink_;
  std::size_t chunk_bytes_;
  std::string buffer_;
};

struct SchemaTable {  // a row of sqlite_schema of type 'table'
  std::string name, sql;
};

// How a table's rows are read and written.
struct RowPlan {
  std::vector<std::string> columns;  // the ones an INSERT sets
  std::string rowid_name;            // set when the rows carry their rowid
  std::string order_by;              // rowid order for rowid tables, else empty
};

// The first column of the first row of `sql` (0 without a row), with `arg` as ?1.
std::int64_t query_integer(Connection& connection, std::string_view sql,
                           std::optional<std::string_view> arg = std::nullopt) {
  Statement statement = connection.prepare(sql);
  if (arg) statement.bind(1, ValueView(*arg));
  return statement.step() ? statement.column_integer(0) : 0;
}

RowPlan plan_rows(Connection& connection, const SchemaTable& table, RowidPolicy policy) {
  RowPlan plan;
  std::vector<std::string> columns;  // generated ones too: they shadow rowid's names
  std::string alias;                 // the INTEGER PRIMARY KEY column, if it aliases the rowid
  int primary_key_columns = 0;
  Statement info =
      connection.prepare("SELECT name, type, pk, hidden FROM pragma_table_xinfo(?1, 'main')");
  info.bind(1, ValueView(table.name));
  while (info.step()) {
    columns.emplace_back(info.column_text(0));
    if (info.column_integer(2) != 0 && ++primary_key_columns == 1 &&
        equals_ignore_case(info.column_text(1), "INTEGER")) {
      alias = columns.back();
    }
    if (info.column_integer(3) == 0) plan.columns.push_back(columns.back());
  }
  // (A virtual table's shadow tables have type "shadow" there, some WITHOUT ROWID.)
  if (query_integer(connection, "SELECT wr FROM pragma_table_list(?1) WHERE schema = 'main'",
                    table.name) != 0) {
    return plan;
  }
  // sqlite3's shell: a lone INTEGER primary key column aliases the rowid unless a "pk"
  // index backs it (INTEGER PRIMARY KEY DESC, which is no alias).
  if (primary_key_columns != 1 ||
      query_integer(connection,
                    "SELECT count(*) FROM pragma_index_list(?1, 'main') WHERE origin = 'pk'",
                    table.name) != 0) {
    alias.clear();
  }
  if (!alias.empty()) {
    append_name(plan.order_by, alias);
    return plan;  // the rowid is in the alias column
  }
  std::string rowid_name;
  for (const std::string_view candidate : {"rowid", "_rowid_", "oid"}) {
    if (std::none_of(columns.begin(), columns.end(),
                     [&](const std::string& c) { return equals_ignore_case(c, candidate); })) {
      rowid_name = candidate;
      break;
    }
  }
  if (rowid_name.empty()) return plan;  // every spelling is shadowed: cannot keep rowids
  plan.order_by = rowid_name;

  bool keep = policy == RowidPolicy::kAlways;
  if (policy == RowidPolicy::kWhenNeeded) {
    // A copy inserting the rows in rowid order numbers them 1..N; only RANDOM ROWID
    // tables draw their own.
    keep = table.sql.find(kRandomRowidMarker) != std::string::npos;
    if (!keep) {
      std::string sql =
          "SELECT count(*), min(" + rowid_name + "), max(" + rowid_name + ") FROM main.";
      append_name(sql, table.name);
      Statement range = connection.prepare(sql);
      range.step();
      const std::int64_t count = range.column_integer(0);
      keep = count != 0 && (range.column_integer(1) != 1 || range.column_integer(2) != count);
    }
  }
  if (keep) plan.rowid_name = rowid_name;
  return plan;
}

class DumpWriter {
 public:
  DumpWriter(Connection& connection, const DumpSink& sink, const DumpOptions& options)
      : connection_(connection),
        options_(options),
        output_(sink, options.chunk_bytes),
        reals_(connection) {}

  void write() {
    std::string& out = output_.text();
    out += "PRAGMA foreign_keys=OFF;\nBEGIN TRANSACTION;\n";
    std::vector<SchemaTable> tables;
    Statement schema = connection_.prepare(
        "SELECT name, sql FROM main.sqlite_schema WHERE type = 'table' AND sql NOT NULL "
        "ORDER BY tbl_name = 'sqlite_sequence', rowid");
    while (schema.step())
      tables.push_back({std::string(schema.column_text(0)), std::string(schema.column_text(1))});
    for (const SchemaTable& table : tables) write_table(table);
    Statement others = connection_.prepare(
        "SELECT sql FROM main.sqlite_schema WHERE sql NOT NULL "
        "AND type IN ('index','trigger','view') ORDER BY rowid");
    while (others.step()) {
      append_schema_sql(out, others.column_text(0));
      output_.flush_full_chunks();
    }
    if (writable_schema_) out += "PRAGMA writable_schema=OFF;\n";
    out += "COMMIT;\n";
    output_.finish();
  }

 private:
  // sqld's run_schema_dump_query, for one row of sqlite_schema.
  void write_table(const SchemaTable& table) {
    std::string& out = output_.text();
    const std::string_view name = table.name;
    if (name == "sqlite_sequence") {
      out += "DELETE FROM sqlite_sequence;\n";
    } else if (name.starts_with("sqlite_stat")) {
      out += "ANALYZE sqlite_schema;\n";  // creates the stat tables; their rows follow
    } else if (name.starts_with("sqlite_")) {
      return;
    } else if (table.sql.starts_with("CREATE VIRTUAL TABLE")) {
      // Creating it anew would also create its shadow tables, whose rows the dump
      // carries as ordinary tables: write its schema row instead, as sqld does.
      if (!writable_schema_) out += "PRAGMA writable_schema=ON;\n";
      writable_schema_ = true;
      out += "INSERT INTO sqlite_schema(type,name,tbl_name,rootpage,sql)VALUES('table',";
      append_text(out, name);
      out += ',';
      append_text(out, name);
      out += ",0,";
      append_text(out, table.sql);
      out += ");\n";
      return;
    } else if (table.sql.starts_with("CREATE TABLE ")) {
      out += "CREATE TABLE IF NOT EXISTS ";
      append_schema_sql(out, std::string_view(table.sql).substr(13));
    } else {
      append_schema_sql(out, table.sql);
    }
    write_rows(table);
  }

  void write_rows(const SchemaTable& table) {
    const RowPlan plan = plan_rows(connection_, table, options_.rowids);
    std::string prefix = "INSERT INTO ";
    append_name(prefix, table.name, /*only_if_needed=*/true);
    std::string select = "SELECT ";
    if (!plan.rowid_name.empty()) {
      (prefix += '(') += plan.rowid_name;
      for (const std::string& column : plan.columns) append_name(prefix += ',', column, true);
      prefix += ')';
      (select += plan.rowid_name) += ',';
    }
    prefix += " VALUES(";
    for (std::size_t i = 0; i < plan.columns.size(); ++i) {
      if (i != 0) select += ',';
      append_name(select, plan.columns[i]);
    }
    append_name(select += " FROM main.", table.name);
    if (!plan.order_by.empty()) select += " ORDER BY " + plan.order_by;

    Statement rows = connection_.prepare(select);
    const int count = rows.column_count();
    std::string& out = output_.text();
    while (rows.step()) {
      out += prefix;
      for (int i = 0; i < count; ++i) {
        if (i != 0) out += ',';
        append_value(out, rows.column_view(i));
      }
      out += ");\n";
      output_.flush_full_chunks();
    }
  }

  void append_value(std::string& out, const ValueView& value) {
    const ValueType type = value.type();
    if (type == ValueType::kNull) out += "NULL";
    if (type == ValueType::kInteger) append_integer(out, value.integer_value());
    if (type == ValueType::kReal) reals_.append(out, value.real_value());
    if (type == ValueType::kText) append_text(out, value.text_value());
    if (type == ValueType::kBlob) append_blob(out, value.blob_value());
  }

  // A stored CREATE statement and its ';'. If the text ends inside a comment (sqlite3's
  // shell guards against it too), the comment is closed first so it cannot swallow
  // the ';'.
  static void append_schema_sql(std::string& out, std::string_view sql) {
    out += sql;
    if (sql.find("--") != std::string_view::npos || sql.find("/*") != std::string_view::npos) {
      const std::vector<Token> tokens = tokenize(sql);
      if (!tokens.empty() && tokens.back().kind == TokenKind::kLineComment) out += '\n';
      if (!tokens.empty() && tokens.back().kind == TokenKind::kBlockComment) {
        const std::string_view comment = tokens.back().text(sql);
        if (comment.size() < 4 || !comment.ends_with("*/")) out += "*/";
      }
    }
    out += ";\n";
  }

  Connection& connection_;
  const DumpOptions& options_;
  ChunkedOutput output_;
  RealWriter reals_;
  bool writable_schema_ = false;
};

}  // namespace

void write_dump(Connection& connection, const DumpSink& sink, const DumpOptions& options) {
  const bool own_transaction = connection.is_autocommit();
  if (own_transaction) connection.execute_script("BEGIN");
  try {
    DumpWriter(connection, sink, options).write();
  } catch (...) {
    if (own_transaction) connection.rollback_quietly();
    throw;
  }
  if (own_transaction) connection.execute_script("COMMIT");
}

std::string dump_to_string(Connection& connection, const DumpOptions& options) {
  std::string dump;
  write_dump(
      connection, [&](std::string_view chunk) { dump += chunk; }, options);
  return dump;
}

}  // namespace libsql::sql
