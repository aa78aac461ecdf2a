// proxy_service.cc: implements proxy_service.h. Codes and messages are sqld's
// (tursodatabase/libsql f8fb14f3): connection/program.rs for the program, rpc/proxy.rs
// for what becomes a Status, error.rs for the texts.

#include "server/proxy_service.h"

#include <atomic>
#include <unordered_set>
#include <vector>

#include "hrana/errors.h"
#include "hrana/statement_policy.h"
#include "libsql/error.h"
#include "libsql/params.h"
#include "replication/bincode_value.h"
#include "replication/frame_format.h"
#include "sql/statement.h"

namespace libsql::server {

namespace {

using replication::grpc_web::Status;
using replication::grpc_web::StatusCode;

// A program whose conversion fails answers the whole call (sqld's TryFrom<Program>).
class InvalidProgram : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};
class ResponseTooLarge : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct Cond {
  enum class Kind { kOk, kErr, kNot, kAnd, kOr, kIsAutocommit } kind = Kind::kOk;
  std::int64_t step = 0;
  std::vector<Cond> conds;
};

struct Step {
  std::optional<Cond> cond;
  std::string sql;  // the first statement of the query's text: all sqld runs
  sql::StatementInfo info;
  Params params;
};

Cond convert(const proxy::Cond& cond) {
  Cond out;
  switch (cond.cond_case()) {
    case proxy::Cond::kOk:
      out.kind = Cond::Kind::kOk;
      out.step = cond.ok().step();
      break;
    case proxy::Cond::kErr:
      out.kind = Cond::Kind::kErr;
      out.step = cond.err().step();
      break;
    case proxy::Cond::kNot:
      if (!cond.not_().has_cond()) throw InvalidProgram("empty `not` condition");
      out.kind = Cond::Kind::kNot;
      out.conds.push_back(convert(cond.not_().cond()));
      break;
    case proxy::Cond::kAnd:
      out.kind = Cond::Kind::kAnd;
      for (const auto& inner : cond.and_().conds()) out.conds.push_back(convert(inner));
      break;
    case proxy::Cond::kOr:
      out.kind = Cond::Kind::kOr;
      for (const auto& inner : cond.or_().conds()) out.conds.push_back(convert(inner));
      break;
    case proxy::Cond::kIsAutocommit:
      out.kind = Cond::Kind::kIsAutocommit;
      break;
    case proxy::Cond::COND_NOT_SET:
      throw InvalidProgram("invalid condition");
  }
  return out;
}

Value decode_value(const proxy::Value& value) {
  std::string error;
  std::optional<Value> decoded = replication::decode_bincode(value.data(), &error);
  if (!decoded) throw InvalidProgram("invalid parameter value: " + error);
  return std::move(*decoded);
}

Step convert(const proxy::Step& step) {
  if (!step.has_query()) throw InvalidProgram("step is missing query");
  const proxy::Query& query = step.query();
  Step out;
  sql::FirstStatement first;
  if (!sql::first_statement(query.stmt(), first)) throw InvalidProgram("invalid empty statement");
  out.sql = std::string(first.span.text(query.stmt()));
  if (auto reason = hrana::unsupported_statement(out.sql)) throw InvalidProgram(*reason);
  out.info = sql::classify(out.sql);
  switch (query.Params_case()) {
    case proxy::Query::kPositional: {
      std::vector<Value> values;
      for (const auto& value : query.positional().values()) values.push_back(decode_value(value));
      out.params = Params::positional(std::move(values));
      break;
    }
    case proxy::Query::kNamed: {
      // sqld zips names with values: the shorter list decides.
      const auto& named = query.named();
      std::vector<NamedValue> values;
      for (int i = 0; i < std::min(named.names_size(), named.values_size()); ++i) {
        values.push_back({named.names(i), decode_value(named.values(i))});
      }
      out.params = Params::named(std::move(values));
      break;
    }
    case proxy::Query::PARAMS_NOT_SET:
      throw InvalidProgram("missing params in query");
  }
  if (step.has_cond()) out.cond = convert(step.cond());
  return out;
}

proxy::Error step_error(proxy::Error::ErrorCode code, std::string message, int extended = 0) {
  proxy::Error error;
  error.set_code(code);
  error.set_message(std::move(message));
  error.set_extended_code(extended);
  return error;
}

// A SQLite failure as sqld reports it: INTERNAL with SQLite's extended code, and
// rusqlite's text: "{message} in {sql} at offset {n}" for an SQLITE_ERROR that SQLite
// placed in the text (modern_sqlite's SqlInputError), SQLite's message otherwise.
proxy::Error sqlite_error(const Error& e, std::string_view sql) {
  std::string message = e.what();
  if (e.primary_code() == PrimaryCode::kError && e.sql_offset() >= 0) {
    message += " in " + std::string(sql) + " at offset " + std::to_string(e.sql_offset());
  }
  return step_error(proxy::Error::INTERNAL, std::move(message), e.code());
}

// Runs one program on one connection, step by step (sqld's Vm).
class ProgramRun {
 public:
  ProgramRun(engine::Connection& connection, const std::vector<Step>& steps,
             const hrana::AccessPolicy* access, hrana::Cancellation* cancellation,
             std::uint64_t max_bytes)
      : connection_(connection),
        steps_(steps),
        access_(access),
        cancellation_(cancellation),
        max_bytes_(max_bytes) {}

  void run(const std::vector<std::optional<hrana::Error>>& blocked, bool lost_transaction,
           proxy::ExecuteResults& out) {
    for (std::size_t i = 0; i < steps_.size(); ++i) {
      proxy::QueryResult& result = *out.add_results();
      if (lost_transaction) {
        // sqld fails every step left once its transaction was taken away.
        *result.mutable_error() = step_error(proxy::Error::TX_TIMEOUT, "Transaction timed-out");
        succeeded_.push_back(false);
        continue;
      }
      if (cancellation_ != nullptr && cancellation_->cancelled()) throw hrana::RequestCancelled();
      bool enabled = true;
      if (steps_[i].cond) {
        std::optional<proxy::Error> error;
        enabled = evaluate(*steps_[i].cond, error);
        if (error) {
          *result.mutable_error() = std::move(*error);
          succeeded_.push_back(false);
          continue;
        }
      }
      if (!enabled) {
        result.mutable_row();  // a skipped step is an empty result, not an error
        succeeded_.push_back(false);
        continue;
      }
      if (blocked[i]) {
        *result.mutable_error() = step_error(proxy::Error::INTERNAL, blocked[i]->message);
        succeeded_.push_back(false);
        continue;
      }
      succeeded_.push_back(run_step(steps_[i], result));
    }
  }

  // SQLite's message when a step failed to prepare for its syntax.
  const std::optional<std::string>& syntax_error() const noexcept { return syntax_error_; }

 private:
  bool evaluate(const Cond& cond, std::optional<proxy::Error>& error) const {
    switch (cond.kind) {
      case Cond::Kind::kOk:
      case Cond::Kind::kErr: {
        // Only earlier steps have a result; anything else is sqld's InvalidBatchStep.
        if (cond.step < 0 || static_cast<std::uint64_t>(cond.step) >= succeeded_.size()) {
          error = step_error(
              proxy::Error::INTERNAL,
              "Invalid batch step: " + std::to_string(static_cast<std::uint64_t>(cond.step)));
          return false;
        }
        const bool ok = succeeded_[static_cast<std::size_t>(cond.step)];
        return cond.kind == Cond::Kind::kOk ? ok : !ok;
      }
      case Cond::Kind::kNot:
        return !evaluate(cond.conds.front(), error);
      case Cond::Kind::kAnd: {
        bool all = true;  // sqld folds over every condition, errors stopping it
        for (const Cond& inner : cond.conds) {
          all = evaluate(inner, error) && all;
          if (error) return false;
        }
        return all;
      }
      case Cond::Kind::kOr: {
        bool any = false;
        for (const Cond& inner : cond.conds) {
          any = evaluate(inner, error) || any;
          if (error) return false;
        }
        return any;
      }
      case Cond::Kind::kIsAutocommit:
        return connection_.is_autocommit();
    }
    return false;
  }

  void count(std::uint64_t bytes) {
    total_bytes_ += bytes;
    if (total_bytes_ > max_bytes_) {
      throw ResponseTooLarge("query response exceeds the maximum size of " +
                             hrana::byte_size(max_bytes_) +
                             ". Try reducing the number of queried rows.");
    }
  }

  bool run_step(const Step& step, proxy::QueryResult& result) {
    std::optional<engine::Statement> statement;
    try {
      statement = std::move(connection_.prepare_first(step.sql).statement);
    } catch (const Error& e) {
      if (hrana::is_syntax_error(e)) syntax_error_ = e.what();
      return fail(result, sqlite_error(e, step.sql));
    }
    proxy::ResultRows& rows = *result.mutable_row();
    if (!statement) return finish(result, 0, 0);
    const int columns = statement->column_count();
    for (int c = 0; c < columns; ++c) {
      proxy::Column& column = *rows.add_column_descriptions();
      column.set_name(std::string(statement->column_name(c)));
      const std::string_view declared = statement->column_decltype(c);
      if (!declared.empty()) column.set_decltype_(std::string(declared));
      count(column.name().size() + declared.size());
    }
    try {
      statement->bind(step.params.view(), engine::Statement::Lifetime::kBorrow);
    } catch (const Error& e) {
      return fail(result,
                  step_error(proxy::Error::SQL_ERROR,
                             std::string("LibSQL failed to bind provided query parameters: `") +
                                 e.what() + "`"));
    }
    const std::int64_t changes_before = connection_.total_changes();
    std::uint64_t row_count = 0;
    try {
      while (statement->step()) {
        proxy::Row& row = *rows.add_rows();
        for (int c = 0; c < columns; ++c) {
          std::string& data = *row.add_values()->mutable_data();
          replication::append_bincode(statement->column_view(c), data);
          count(data.size());
        }
        ++row_count;
      }
    } catch (const Error& e) {
      return fail(result, sqlite_error(e, step.sql));
    }
    // sqlite3_changes() keeps its value across other statements: only IUD reports it,
    // only an INSERT a rowid (program.rs).
    if (step.info.is_iud)
      rows.set_affected_row_count(static_cast<std::uint64_t>(connection_.changes()));
    if (step.info.is_insert) rows.set_last_insert_rowid(connection_.last_insert_rowid());
    const auto written = static_cast<std::uint64_t>(connection_.total_changes() - changes_before);
    const auto read = std::max(static_cast<std::uint64_t>(statement->fullscan_steps()), row_count);
    return finish(result, read, written);
  }

  bool fail(proxy::QueryResult& result, proxy::Error error) {
    count(error.message().size());
    *result.mutable_error() = std::move(error);
    if (access_ != nullptr) access_->statement_ran(false, 0, 0);
    return false;
  }
  bool finish(proxy::QueryResult&, std::uint64_t read, std::uint64_t written) {
    if (access_ != nullptr) access_->statement_ran(true, read, written);
    return true;
  }

  engine::Connection& connection_;
  const std::vector<Step>& steps_;
  const hrana::AccessPolicy* access_;
  hrana::Cancellation* cancellation_;
  const std::uint64_t max_bytes_;
  std::uint64_t total_bytes_ = 0;
  std::vector<bool> succeeded_;
  std::optional<std::string> syntax_error_;
};

// SQLite's message for the first step whose statement is not SQL at all.
std::optional<std::string> find_syntax_error(engine::Connection& connection,
                                             const std::vector<Step>& steps) {
  std::unordered_set<std::string_view> checked;
  for (const Step& step : steps) {
    if (!checked.insert(step.sql).second) continue;  // clients repeat statements
    try {
      connection.prepare_first(step.sql);
    } catch (const Error& e) {
      if (hrana::is_syntax_error(e)) return e.what();
    }
  }
  return std::nullopt;
}

void describe_statement(const engine::Statement& statement, proxy::Description& description) {
  description.set_param_count(static_cast<std::uint64_t>(statement.parameter_count()));
  for (int i = 1; i <= statement.parameter_count(); ++i) {
    // Only named parameters are listed; a bare `?` has no name (sqld's filter_map).
    const std::string_view name = statement.parameter_name(i);
    if (!name.empty()) description.add_param_names(std::string(name));
  }
  for (int c = 0; c < statement.column_count(); ++c) {
    proxy::Column& column = *description.add_column_descriptions();
    column.set_name(std::string(statement.column_name(c)));
    const std::string_view declared = statement.column_decltype(c);
    if (!declared.empty()) column.set_decltype_(std::string(declared));
  }
}

Status namespace_gone() {
  return {StatusCode::kFailedPrecondition,
          std::string(replication::grpc_web::kNamespaceDoesntExist)};
}

}  // namespace

struct ProxyService::Client {
  std::mutex call;  // one call at a time; held while the connection is in use
  // Guarded by `call`:
  std::shared_ptr<Namespace> ns;
  std::optional<engine::Connection> connection;
  bool forgotten = false;  // collected or disconnected while a call waited
  // The namespace whose connection the client holds, null when it holds none: what
  // needs_connection() reads without waiting for a call to end.
  std::atomic<const Namespace*> holding{nullptr};
  // Guarded by the service's mutex_:
  Clock::time_point last_used = Clock::now();
};

ProxyService::~ProxyService() {
  for (auto& [id, client] : clients_) {
    const std::lock_guard lock(client->call);
    if (client->connection) client->ns->pool().release(std::move(*client->connection));
  }
}

bool ProxyService::needs_connection(const Namespace& ns, std::string_view client_id) const {
  const std::lock_guard lock(mutex_);
  const auto found = clients_.find(std::string(client_id));
  if (found == clients_.end()) return true;
  // Read without the client's call lock: a stale answer only costs a ticket too many or
  // too few (then the connection counts beyond the limit), never correctness.
  return found->second->holding.load() != &ns;
}

std::shared_ptr<ProxyService::Client> ProxyService::client(std::string_view client_id,
                                                           Status& error) {
  // sqld unwraps Uuid::from_str and would panic; a clear refusal is kinder.
  if (!replication::LogId::parse(client_id)) {
    error = {StatusCode::kInvalidArgument,
             "client_id is not a UUID: `" + std::string(client_id) + "`"};
    return nullptr;
  }
  const std::lock_guard lock(mutex_);
  auto& slot = clients_[std::string(client_id)];
  if (!slot) slot = std::make_shared<Client>();
  slot->last_used = Clock::now();
  return slot;
}

void ProxyService::forget(const std::string& client_id, const std::shared_ptr<Client>& client) {
  {
    const std::lock_guard lock(mutex_);
    const auto found = clients_.find(client_id);
    if (found != clients_.end() && found->second == client) clients_.erase(found);
  }
  client->forgotten = true;
  release(*client);  // rolls back
}

void ProxyService::release(Client& client) {
  if (client.connection) client.ns->pool().release(std::move(*client.connection));
  client.connection.reset();
  client.holding = nullptr;
}

engine::Connection& ProxyService::connection_for(Client& client, const Caller& caller,
                                                 engine::ConnectionPool::Ticket ticket) {
  if (client.ns != caller.ns) {
    // The same client_id on another namespace (or a namespace made anew): a client of
    // its own there.
    release(client);
    client.ns = caller.ns;
  }
  if (!client.connection) {
    client.connection.emplace(caller.ns->pool().acquire(std::move(ticket)));
    client.holding = caller.ns.get();
  }
  return *client.connection;
}

void ProxyService::settle(Client& client) {
  // Nothing open that a later call could need: the connection serves others meanwhile.
  if (client.connection && client.connection->is_autocommit() &&
      !client.connection->session_changed()) {
    release(client);
  }
  const std::lock_guard lock(mutex_);
  client.last_used = Clock::now();
}

std::variant<proxy::ExecuteResults, Status> ProxyService::execute(
    const Caller& caller, const proxy::ProgramReq& request, engine::ConnectionPool::Ticket ticket) {
  std::vector<Step> steps;
  try {
    for (const proxy::Step& step : request.pgm().steps()) steps.push_back(convert(step));
  } catch (const InvalidProgram& e) {
    return Status{StatusCode::kInvalidArgument, e.what()};
  }
  Status refused;
  std::shared_ptr<Client> client = this->client(request.client_id(), refused);
  if (!client) return refused;

  std::unique_lock call(client->call);
  if (client->forgotten) return Status{StatusCode::kAborted, "the client was disconnected"};
  try {
    if (caller.ns->deleted()) return namespace_gone();
    engine::Connection& connection = connection_for(*client, caller, std::move(ticket));

    // sqld checks the whole program's permissions before running any of it
    // (check_program_auth); blocks apply step by step, as failed steps.
    std::vector<std::optional<hrana::Error>> blocked(steps.size());
    if (caller.access) {
      for (std::size_t i = 0; i < steps.size(); ++i)
        blocked[i] = caller.access->check(steps[i].sql);
    }
    proxy::ExecuteResults results;
    std::optional<std::string> syntax_error;
    {
      engine::Connection::Use use(connection);
      hrana::Cancellation::Watch watch(caller.cancellation, connection);
      const bool lost_transaction = use.take_lost_transaction();
      // sqld parses every statement before running any: a syntax error anywhere fails
      // the call. With one step, its own prepare finds it before anything ran.
      if (steps.size() > 1 && !lost_transaction)
        syntax_error = find_syntax_error(connection, steps);
      if (!syntax_error) {
        ProgramRun run(connection, steps, caller.access.get(), caller.cancellation,
                       options_.max_response_bytes);
        run.run(blocked, lost_transaction, results);
        if (steps.size() == 1) syntax_error = run.syntax_error();
      }
    }
    if (syntax_error) {
      settle(*client);
      return Status{StatusCode::kInvalidArgument, *syntax_error};
    }
    results.set_state(connection.is_autocommit() ? proxy::INIT : proxy::TXN);
    // Read after the program: the client waits for this index to read its own writes.
    if (replication::FrameLog* log = caller.ns->frame_log()) {
      if (const auto last = log->last_frame_no()) results.set_current_frame_no(*last);
    }
    settle(*client);
    return results;
  } catch (const hrana::AccessDenied& e) {
    settle(*client);
    return Status{StatusCode::kPermissionDenied, e.what()};
  } catch (const ResponseTooLarge& e) {
    settle(*client);
    return Status{StatusCode::kPermissionDenied, e.what()};
  } catch (const hrana::RequestCancelled&) {
    // Nobody is left to finish what the program began.
    forget(request.client_id(), client);
    throw;
  } catch (const Error& e) {
    // The connection did not open: sqld's connection_maker failing.
    if (caller.ns->deleted()) return namespace_gone();
    return Status{StatusCode::kInternal, e.what()};
  }
}

std::variant<proxy::DescribeResult, Status> ProxyService::describe(
    const Caller& caller, const proxy::DescribeRequest& request,
    engine::ConnectionPool::Ticket ticket) {
  Status refused;
  std::shared_ptr<Client> client = this->client(request.client_id(), refused);
  if (!client) return refused;
  std::unique_lock call(client->call);
  if (client->forgotten) return Status{StatusCode::kAborted, "the client was disconnected"};
  // sqld maps every describe failure, permission or SQL, to PERMISSION_DENIED.
  const auto denied = [](std::string message) {
    return Status{StatusCode::kPermissionDenied, std::move(message)};
  };
  try {
    if (caller.ns->deleted()) return namespace_gone();
    if (caller.access) {
      if (auto blocked = caller.access->check_describe()) return denied(blocked->message);
    }
    // Preparing a pragma runs it: describe refuses the pragmas execute refuses.
    sql::FirstStatement first;
    if (sql::first_statement(request.stmt(), first)) {
      const std::string_view text = first.span.text(request.stmt());
      const sql::StatementInfo info = sql::classify(text);
      const bool pragma = info.kind == sql::StatementKind::kPragma ||
                          (info.kind == sql::StatementKind::kExplain &&
                           info.explained == sql::StatementKind::kPragma);
      if (auto reason = hrana::unsupported_statement(text); reason && pragma)
        return denied(*reason);
    }
    engine::Connection& connection = connection_for(*client, caller, std::move(ticket));
    proxy::DescribeResult result;
    std::optional<std::string> failure;
    {
      engine::Connection::Use use(connection);
      try {
        std::optional<engine::Statement> statement =
            std::move(connection.prepare_first(request.stmt()).statement);
        proxy::Description& description = *result.mutable_description();
        if (statement) describe_statement(*statement, description);
      } catch (const Error& e) {
        failure = sqlite_error(e, request.stmt()).message();
      }
    }
    settle(*client);
    if (failure) return denied(std::move(*failure));
    return result;
  } catch (const hrana::AccessDenied& e) {
    return denied(e.what());
  } catch (const Error& e) {
    if (caller.ns->deleted()) return namespace_gone();
    return Status{StatusCode::kInternal, e.what()};
  }
}

Status ProxyService::disconnect(const proxy::DisconnectMessage& message) {
  std::shared_ptr<Client> client;
  {
    const std::lock_guard lock(mutex_);
    const auto found = clients_.find(message.client_id());
    if (found == clients_.end()) return {};
    client = found->second;
  }
  const std::lock_guard call(client->call);
  forget(message.client_id(), client);
  return {};
}

std::size_t ProxyService::collect_garbage(Clock::time_point now) {
  std::vector<std::pair<std::string, std::shared_ptr<Client>>> idle;
  {
    const std::lock_guard lock(mutex_);
    for (const auto& [id, client] : clients_) {
      if (now - client->last_used >= options_.idle_timeout) idle.emplace_back(id, client);
    }
  }
  std::size_t collected = 0;
  for (auto& [id, client] : idle) {
    // A client whose call is running is not idle, whatever its clock says.
    std::unique_lock call(client->call, std::try_to_lock);
    if (!call.owns_lock()) continue;
    {
      const std::lock_guard lock(mutex_);
      if (now - client->last_used < options_.idle_timeout) continue;  // used meanwhile
    }
    forget(id, client);
    ++collected;
  }
  return collected;
}

std::size_t ProxyService::client_count() const {
  const std::lock_guard lock(mutex_);
  return clients_.size();
}

bool ProxyService::holds_connection(std::string_view client_id) const {
  std::shared_ptr<Client> client;
  {
    const std::lock_guard lock(mutex_);
    const auto found = clients_.find(std::string(client_id));
    if (found == clients_.end()) return false;
    client = found->second;
  }
  const std::lock_guard call(client->call);
  return client->connection.has_value();
}

}  // namespace libsql::server
