// auth.h: who a request is and what it may do. sqld's user authentication strategies
// (disabled, HTTP Basic, JWT) and its permission model (legacy `id`/`a` claims and
// fine-grained `p` scopes), with sqld's exact error codes and messages.
//
// Input is the credential of one request; output is a Principal or an AuthError. Knows
// nothing of HTTP routing, WebSocket framing or namespace storage: the server wires it
// in, using the renderings below. Everything here is immutable once built and may be
// used from any thread.
//
// How sqld renders these failures (libsql-server at tursodatabase/libsql f8fb14f3):
// - HTTP, any AuthError: status 401, Content-Type application/json, body
//     {"error":"Unauthorized: `The JWT is invalid`"}
//   (src/error.rs: Error::AuthError displays as "Unauthorized: `{0}`", rendered by
//   format_err as json!({"error": ...}); no `code` field). -> http_unauthorized_body()
// - WebSocket `hello` failing: the server sends
//     {"type":"hello_error","error":{"message":"Authentication failed: The JWT is invalid",
//      "code":"AUTH_JWT_INVALID"}}
//   then ends the connection (src/hrana/ws/session.rs ResponseError::Auth "Authentication
//   failed: {source}" with source.code(); conn.rs handle_hello_msg). -> ws_hello_error()
// - gRPC (replication, proxy): Status::unauthenticated("AuthError: <message>")
//   (src/auth/errors.rs). -> grpc_unauthenticated_message()
// - A permission check failing before a program runs: status 403, body
//     {"error":"Authorization forbidden: Current session doesn't not have Write permission
//      to namespace default"}
//   ("doesn't not" is sqld's typo, kept; permission names are Read, Write, AttachRead, the
//   Debug form of its enum; the namespace is bare) (src/auth/authenticated.rs has_right,
//   src/error.rs Forbidden "Authorization forbidden: {0}"). -> http_forbidden_body()
//   sqld needs Read for SELECT/BEGIN/COMMIT/ROLLBACK/SAVEPOINT/RELEASE and `describe`,
//   Write for writes and DDL, AttachRead on the attached namespace for ATTACH; DETACH is
//   free (src/connection/program.rs check_program_auth).
// - DDL on a shared-schema database without the `ddl` scope: 403 "Authorization forbidden:
//   DDL statements not permitted on namespace <ns>". -> ddl_forbidden_message()
// - ATTACH of a namespace whose config lacks allow_attach: 403 "Authorization forbidden:
//   Namespace `<ns>` doesn't allow attach". A namespace fact, not an auth one: the wiring
//   checks it after Access::can_attach_read.
// - A principal with no access at all to the namespace (Access::can_read false) is not
//   told that it exists: sqld answers 404 {"error":"Namespace `<ns>` doesn't exist"}
//   (src/namespace/store.rs with_authenticated; http/user/dump.rs; listen.rs). The
//   wiring must answer so before any other check on that namespace.
#pragma once

#include <boost/json/object.hpp>

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "hrana/protocol.h"
#include "server/jwt.h"

namespace libsql::server {

// sqld's AuthError variants (src/auth/errors.rs). Some are never produced by this server
// (kHttpHeaderMissing, kHttpHeaderInvalid, kBasicNotAllowed, kJwtMissing, kJwtNotAllowed:
// sqld has them too, unused by its strategies) but keep their code and message.
enum class AuthErrorKind {
  kHttpHeaderMissing,
  kHttpHeaderInvalid,
  kHttpHeaderUnsupportedScheme,
  kBasicNotAllowed,
  kBasicRejected,
  kJwtMissing,
  kJwtNotAllowed,
  kJwtInvalid,
  kJwtExpired,
  kJwtImmature,
  kAuthStringMalformed,
  kAuthHeaderNotFound,
  kAuthHeaderNonAscii,
  kOther,
};

struct AuthError {
  AuthErrorKind kind;
  // Why, for the server's log only: sqld sends no detail to the client, and neither do we.
  std::string detail;

  // "AUTH_JWT_INVALID", ... exactly as sqld.
  std::string_view code() const;
  // "The JWT is invalid", ... exactly as sqld's Display.
  std::string_view message() const;
  bool operator==(const AuthError&) const = default;
};

enum class Permission { kRead, kWrite, kAttachRead };
// "Read", "Write", "AttachRead": how sqld names them in its 403 message.
std::string_view permission_name(Permission permission);

// What one principal may do on one namespace.
struct Access {
  bool can_read = false;
  bool can_write = false;
  bool can_attach_read = false;  // may be ATTACHed (read-only) from another namespace
  // May run DDL on a database with a shared schema (sqld's `ddl` scope). Elsewhere DDL
  // needs can_write.
  bool can_ddl_on_shared_schema = false;

  bool allows(Permission permission) const;
  bool operator==(const Access&) const = default;
};

// A scope of a fine-grained token: namespaces by name, or by tag. The only tag sqld knows
// is the server's group id (env LIBSQL_GID): a scope whose `tags` hold it covers every
// namespace of this server.
struct NamespaceScope {
  std::vector<std::string> namespaces;
  std::vector<std::string> tags;
};

// The `p` claim. Absent members grant nothing.
struct FineGrainedScopes {
  std::optional<NamespaceScope> read_only;          // "ro": read
  std::optional<NamespaceScope> read_write;         // "rw": read, write
  std::optional<NamespaceScope> read_only_attach;   // "roa": read, be attached
  std::optional<NamespaceScope> read_write_attach;  // "rwa": read, write, be attached
  std::optional<NamespaceScope> ddl;                // "ddl": read, write, shared-schema DDL
};

// An authenticated caller.
class Principal {
 public:
  enum class Kind { kFullAccess, kLegacy, kFineGrained };

  // Auth disabled, or HTTP Basic: everything everywhere.
  static Principal full_access();
  // A JWT without `p`: `id` (nullopt: every namespace) with permission `a`. Note that a JWT
  // with no claims at all is legacy read-write on every namespace, not full access: it may
  // not be ATTACHed nor run shared-schema DDL.
  static Principal legacy(std::optional<std::string> namespace_name, Permission permission);
  // A JWT with `p`. `gid` is the server's LIBSQL_GID, matched against scope tags.
  static Principal fine_grained(FineGrainedScopes scopes, std::optional<std::string> gid);

  Kind kind() const { return kind_; }
  Access access_to(std::string_view namespace_name) const;

 private:
  struct FineGrained {
    FineGrainedScopes scopes;
    std::optional<std::string> gid;
  };

  explicit Principal(Kind kind) : kind_(kind) {}

  Kind kind_;
  std::optional<std::string> legacy_namespace_;
  Permission legacy_permission_ = Permission::kWrite;
  std::shared_ptr<const FineGrained> fine_grained_;
};

using AuthResult = std::variant<Principal, AuthError>;

// The value of env LIBSQL_GID, read now; nullopt when unset.
std::optional<std::string> gid_from_environment();

// The principal a verified JWT's claims describe, as sqld reads them: `p` present (an
// object, even `{}`) means fine-grained and `id`/`a` grant nothing; else legacy `id`
// (namespace, absent or null: all) and `a` ("ro", "rw", "roa"; absent or null: "rw").
// Claims of the wrong type, an unknown `a`, or an empty namespace name are
// AUTH_JWT_INVALID, as sqld's deserialization fails on them.
AuthResult principal_from_claims(const boost::json::object& claims,
                                 const std::optional<std::string>& gid);

// The credential of `--http-auth` / SQLD_HTTP_AUTH: "basic:<base64(user:password)>" gives
// the text after "basic:". Throws std::invalid_argument for another scheme, a missing
// colon or an empty credential. sqld also takes "always" (as the literal credential
// "always"); we refuse it, as it is no scheme.
std::string parse_http_auth_flag(std::string_view value);

// Which header carries the credential: `Authorization`, else `x-authorization`, as sqld.
// An Authorization value that is not visible ASCII is skipped for x-authorization when
// that is present (sqld drops such a header); without one it is returned, and
// authenticate() reports it as AUTH_HEADER_MALFORMED "Non-ASCII auth header" (sqld would
// say AUTH_HEADER_NOT_FOUND).
std::optional<std::string_view> select_auth_header(std::optional<std::string_view> authorization,
                                                   std::optional<std::string_view> x_authorization);

// The server's strategy, chosen once at start (or per namespace: a namespace with its own
// `jwt_key` uses jwt() with those keys whatever the global strategy is).
class AuthStrategy {
 public:
  using Clock = std::function<std::chrono::system_clock::time_point()>;
  enum class Kind { kDisabled, kHttpBasic, kJwt };
  // Which schemes HTTP Basic accepts. sqld ignores the scheme, and the official clients
  // only send `Bearer <authToken>` (a WebSocket hello's jwt becomes `Bearer <jwt>` too),
  // so with kBasicOnly they cannot log in to a Basic server: kBasicOrBearer lets them.
  enum class BasicSchemes { kBasicOnly, kBasicOrBearer };

  // Everyone gets full access; any credential, even malformed, is ignored.
  static AuthStrategy disabled();
  // `credential` as parse_http_auth_flag() returns it. The request's token must equal it
  // exactly, compared in constant time, except for trailing `=`: base64 padding carries no
  // information and sqld accepts the credential without it (its own test
  // authenticates_with_valid_trimmed_credential), so "dXNlcjpwdw" matches "dXNlcjpwdw==".
  // A prefix, suffix or longer text containing it is rejected (sqld accepts them: it
  // tests `token.contains(credential)`). Success is full access.
  static AuthStrategy http_basic(std::string credential,
                                 BasicSchemes schemes = BasicSchemes::kBasicOnly);
  // Bearer JWTs signed by one of `keys`. `now` defaults to the system clock.
  static AuthStrategy jwt(JwtKeys keys, std::optional<std::string> gid = gid_from_environment(),
                          Clock now = nullptr);

  Kind kind() const { return kind_; }

  // `credential`: the "<scheme> <token>" header value from select_auth_header(), nullopt if
  // the request has none. Scheme and token are separated by one or more spaces; the scheme
  // is matched case-insensitively.
  AuthResult authenticate(std::optional<std::string_view> credential) const;
  // A WebSocket `hello`: its `jwt` (nullopt when absent or null) as "Bearer <jwt>", as sqld.
  // No ASCII check here: sqld makes none on this path (the JWT then fails to decode).
  AuthResult authenticate_ws_hello(std::optional<std::string_view> jwt) const;

 private:
  explicit AuthStrategy(Kind kind) : kind_(kind) {}

  AuthResult authenticate_text(std::string_view credential) const;

  AuthResult authenticate_basic(std::string_view scheme, std::string_view token) const;
  AuthResult authenticate_jwt(std::string_view scheme, std::string_view token) const;

  Kind kind_;
  std::string basic_credential_;  // trailing '=' removed
  BasicSchemes basic_schemes_ = BasicSchemes::kBasicOnly;
  JwtKeys jwt_keys_;
  std::optional<std::string> gid_;
  Clock now_;
};

// Renderings (see the top of this file).
inline constexpr int kHttpStatusUnauthorized = 401;
inline constexpr int kHttpStatusForbidden = 403;
inline constexpr int kHttpStatusNamespaceHidden = 404;  // "Namespace `<ns>` doesn't exist"

// {"error":"Unauthorized: `<message>`"}
std::string http_unauthorized_body(const AuthError& error);
// {message: "Authentication failed: <message>", code: "<code>"} for hello_error.
hrana::Error ws_hello_error(const AuthError& error);
// "AuthError: <message>"
std::string grpc_unauthenticated_message(const AuthError& error);
// "Authorization forbidden: Current session doesn't not have <Permission> permission to
// namespace <ns>"
std::string forbidden_message(Permission permission, std::string_view namespace_name);
// {"error":"<forbidden_message()>"}
std::string http_forbidden_body(Permission permission, std::string_view namespace_name);
// "Authorization forbidden: DDL statements not permitted on namespace <ns>"
std::string ddl_forbidden_message(std::string_view namespace_name);

}  // namespace libsql::server
