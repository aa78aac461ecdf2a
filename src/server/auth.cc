// auth.cc: sqld's authentication strategies and permission model (auth.h).
//
// Facts come from libsql-server/src/auth/ (errors.rs, parsers.rs, authenticated.rs,
// authorized.rs, permission.rs, user_auth_strategies/*.rs), tursodatabase/libsql f8fb14f3.

#include "server/auth.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include <algorithm>
#include <array>
#include <cstdlib>
#include <stdexcept>

namespace libsql::server {
namespace {

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           const auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? char(c - 'A' + 'a') : c; };
           return lower(x) == lower(y);
         });
}

// What http::HeaderValue::to_str() accepts: visible ASCII, space and tab.
bool is_header_text(std::string_view text) {
  return std::all_of(text.begin(), text.end(), [](char c) {
    const auto byte = static_cast<unsigned char>(c);
    return byte == '\t' || (byte >= 0x20 && byte < 0x7f);
  });
}

std::string_view trim_trailing_padding(std::string_view text) {
  while (!text.empty() && text.back() == '=') text.remove_suffix(1);
  return text;
}

using Sha256 = std::array<unsigned char, 32>;

Sha256 sha256(std::string_view text) {
  Sha256 digest{};
  unsigned int length = 0;
  if (EVP_Digest(text.data(), text.size(), digest.data(), &length, EVP_sha256(), nullptr) != 1 ||
      length != digest.size()) {
    throw std::runtime_error("OpenSSL cannot compute SHA-256");
  }
  return digest;
}

// Equal texts, in time that depends on neither text: both are hashed first, so not even
// the expected length leaks.
bool constant_time_equals(std::string_view a, std::string_view b) {
  const Sha256 digest_a = sha256(a);
  const Sha256 digest_b = sha256(b);
  return CRYPTO_memcmp(digest_a.data(), digest_b.data(), digest_a.size()) == 0;
}

AuthError invalid_claims(std::string detail) {
  return AuthError{AuthErrorKind::kJwtInvalid, std::move(detail)};
}

// One scope of `p`: absent or null is nullopt; `ns` and `tags` are optional arrays of
// strings; unknown members are ignored, as serde does. False if malformed.
bool read_scope(const boost::json::object& p, std::string_view key,
                std::optional<NamespaceScope>& scope, std::string& problem) {
  const boost::json::value* value = p.if_contains(key);
  if (!value || value->is_null()) return true;
  if (!value->is_object()) {
    problem = "`p." + std::string(key) + "` is not an object";
    return false;
  }
  NamespaceScope result;
  const auto read_strings = [&](std::string_view member, bool non_empty,
                                std::vector<std::string>& out) {
    const boost::json::value* list = value->as_object().if_contains(member);
    if (!list || list->is_null()) return true;
    const std::string where = "`p." + std::string(key) + "." + std::string(member) + "`";
    if (!list->is_array()) {
      problem = where + " is not an array";
      return false;
    }
    for (const boost::json::value& item : list->as_array()) {
      if (!item.is_string() || (non_empty && item.as_string().empty())) {
        problem = where + (non_empty ? " holds something other than a namespace name"
                                     : " holds something other than a string");
        return false;
      }
      out.emplace_back(item.as_string());
    }
    return true;
  };
  if (!read_strings("ns", true, result.namespaces) || !read_strings("tags", false, result.tags)) {
    return false;
  }
  scope = std::move(result);
  return true;
}

bool scope_covers(const std::optional<NamespaceScope>& scope, std::string_view namespace_name,
                  const std::optional<std::string>& gid) {
  if (!scope) return false;
  const auto& names = scope->namespaces;
  if (std::find(names.begin(), names.end(), namespace_name) != names.end()) return true;
  // sqld: "the only tag supported right now is the gid tag".
  return gid && std::find(scope->tags.begin(), scope->tags.end(), *gid) != scope->tags.end();
}

std::string http_error_body(std::string_view message) {
  return boost::json::serialize(boost::json::object{{"error", message}});
}

}  // namespace

std::string_view AuthError::code() const {
  switch (kind) {
    case AuthErrorKind::kHttpHeaderMissing:
      return "AUTH_HTTP_HEADER_MISSING";
    case AuthErrorKind::kHttpHeaderInvalid:
      return "AUTH_HTTP_HEADER_INVALID";
    case AuthErrorKind::kHttpHeaderUnsupportedScheme:
      return "AUTH_HTTP_HEADER_UNSUPPORTED_SCHEME";
    case AuthErrorKind::kBasicNotAllowed:
      return "AUTH_BASIC_NOT_ALLOWED";
    case AuthErrorKind::kBasicRejected:
      return "AUTH_BASIC_REJECTED";
    case AuthErrorKind::kJwtMissing:
      return "AUTH_JWT_MISSING";
    case AuthErrorKind::kJwtNotAllowed:
      return "AUTH_JWT_NOT_ALLOWED";
    case AuthErrorKind::kJwtInvalid:
      return "AUTH_JWT_INVALID";
    case AuthErrorKind::kJwtExpired:
      return "AUTH_JWT_EXPIRED";
    case AuthErrorKind::kJwtImmature:
      return "AUTH_JWT_IMMATURE";
    case AuthErrorKind::kAuthStringMalformed:
      return "AUTH_HEADER_MALFORMED";
    case AuthErrorKind::kAuthHeaderNotFound:
      return "AUTH_HEADER_NOT_FOUND";
    case AuthErrorKind::kAuthHeaderNonAscii:
      return "AUTH_HEADER_MALFORMED";
    case AuthErrorKind::kOther:
      return "AUTH_FAILED";
  }
  return "AUTH_FAILED";
}

std::string_view AuthError::message() const {
  switch (kind) {
    case AuthErrorKind::kHttpHeaderMissing:
      return "The `Authorization` HTTP header is required but was not specified";
    case AuthErrorKind::kHttpHeaderInvalid:
      return "The `Authorization` HTTP header has invalid value";
    case AuthErrorKind::kHttpHeaderUnsupportedScheme:
      return "The authentication scheme in the `Authorization` HTTP header is not supported";
    case AuthErrorKind::kBasicNotAllowed:
      return "The `Basic` HTTP authentication scheme is not allowed";
    case AuthErrorKind::kBasicRejected:
      return "The `Basic` HTTP authentication credentials were rejected";
    case AuthErrorKind::kJwtMissing:
      return "Authentication is required but no JWT was specified";
    case AuthErrorKind::kJwtNotAllowed:
      return "Authentication using a JWT is not allowed";
    case AuthErrorKind::kJwtInvalid:
      return "The JWT is invalid";
    case AuthErrorKind::kJwtExpired:
      return "The JWT has expired";
    case AuthErrorKind::kJwtImmature:
      return "The JWT is immature (not valid yet)";
    case AuthErrorKind::kAuthStringMalformed:
      return "Auth string does not conform to '<scheme> <token>' form";
    case AuthErrorKind::kAuthHeaderNotFound:
      return "Expected authorization header but none given";
    case AuthErrorKind::kAuthHeaderNonAscii:
      return "Non-ASCII auth header";
    case AuthErrorKind::kOther:
      return "Authentication failed";
  }
  return "Authentication failed";
}

std::string_view permission_name(Permission permission) {
  switch (permission) {
    case Permission::kRead:
      return "Read";
    case Permission::kWrite:
      return "Write";
    case Permission::kAttachRead:
      return "AttachRead";
  }
  return "Read";
}

bool Access::allows(Permission permission) const {
  switch (permission) {
    case Permission::kRead:
      return can_read;
    case Permission::kWrite:
      return can_write;
    case Permission::kAttachRead:
      return can_attach_read;
  }
  return false;
}

Principal Principal::full_access() { return Principal(Kind::kFullAccess); }

Principal Principal::legacy(std::optional<std::string> namespace_name, Permission permission) {
  Principal principal(Kind::kLegacy);
  principal.legacy_namespace_ = std::move(namespace_name);
  principal.legacy_permission_ = permission;
  return principal;
}

Principal Principal::fine_grained(FineGrainedScopes scopes, std::optional<std::string> gid) {
  Principal principal(Kind::kFineGrained);
  principal.fine_grained_ =
      std::make_shared<const FineGrained>(FineGrained{std::move(scopes), std::move(gid)});
  return principal;
}

Access Principal::access_to(std::string_view namespace_name) const {
  switch (kind_) {
    case Kind::kFullAccess:
      return Access{true, true, true, true};
    case Kind::kLegacy: {
      // sqld's Permission::has_right: rw reads and writes, ro reads, roa reads and may be
      // attached; none overrides shared-schema DDL.
      if (legacy_namespace_ && *legacy_namespace_ != namespace_name) return Access{};
      Access access;
      access.can_read = true;
      access.can_write = legacy_permission_ == Permission::kWrite;
      access.can_attach_read = legacy_permission_ == Permission::kAttachRead;
      return access;
    }
    case Kind::kFineGrained: {
      // sqld's Authorized::can_write_ns / can_read_ns / can_attach_ns / ddl_permitted.
      const FineGrainedScopes& s = fine_grained_->scopes;
      const auto covers = [&](const std::optional<NamespaceScope>& scope) {
        return scope_covers(scope, namespace_name, fine_grained_->gid);
      };
      Access access;
      access.can_ddl_on_shared_schema = covers(s.ddl);
      access.can_write = covers(s.read_write) || covers(s.read_write_attach) || covers(s.ddl);
      access.can_read = access.can_write || covers(s.read_only) || covers(s.read_only_attach);
      access.can_attach_read = covers(s.read_only_attach) || covers(s.read_write_attach);
      return access;
    }
  }
  return Access{};
}

std::optional<std::string> gid_from_environment() {
  const char* gid = std::getenv("LIBSQL_GID");
  if (!gid) return std::nullopt;
  return std::string(gid);
}

AuthResult principal_from_claims(const boost::json::object& claims,
                                 const std::optional<std::string>& gid) {
  // sqld deserializes `id` and `a` even when `p` is present, so a bad one fails either way.
  std::optional<std::string> id;
  if (const auto* value = claims.if_contains("id"); value && !value->is_null()) {
    if (!value->is_string() || value->as_string().empty()) {
      return invalid_claims("the `id` claim is not a namespace name");
    }
    id = std::string(value->as_string());
  }
  Permission permission = Permission::kWrite;
  if (const auto* value = claims.if_contains("a"); value && !value->is_null()) {
    const std::string_view a = value->is_string() ? std::string_view(value->as_string()) : "";
    if (a == "ro") {
      permission = Permission::kRead;
    } else if (a == "rw") {
      permission = Permission::kWrite;
    } else if (a == "roa") {
      permission = Permission::kAttachRead;
    } else {
      return invalid_claims("the `a` claim is not one of \"ro\", \"rw\", \"roa\"");
    }
  }
  const boost::json::value* p = claims.if_contains("p");
  if (!p || p->is_null()) return Principal::legacy(std::move(id), permission);
  if (!p->is_object()) return invalid_claims("the `p` claim is not an object");

  FineGrainedScopes scopes;
  std::string problem;
  const auto& object = p->as_object();
  if (!read_scope(object, "ro", scopes.read_only, problem) ||
      !read_scope(object, "rw", scopes.read_write, problem) ||
      !read_scope(object, "roa", scopes.read_only_attach, problem) ||
      !read_scope(object, "rwa", scopes.read_write_attach, problem) ||
      !read_scope(object, "ddl", scopes.ddl, problem)) {
    return invalid_claims(problem);
  }
  return Principal::fine_grained(std::move(scopes), gid);
}

std::string parse_http_auth_flag(std::string_view value) {
  const std::size_t colon = value.find(':');
  if (colon == std::string_view::npos) {
    throw std::invalid_argument("invalid --http-auth `" + std::string(value) +
                                "`: expected basic:<base64 of user:password>");
  }
  const std::string_view scheme = value.substr(0, colon);
  const std::string_view credential = value.substr(colon + 1);
  if (!iequals(scheme, "basic")) {
    throw std::invalid_argument("unsupported --http-auth scheme `" + std::string(scheme) +
                                "`: only basic:<base64 of user:password> is supported");
  }
  if (trim_trailing_padding(credential).empty()) {
    throw std::invalid_argument(
        "--http-auth basic: needs a credential (basic:<base64 of user:password>), it is empty");
  }
  if (!is_header_text(credential) || credential.find_first_of(" \t") != std::string_view::npos) {
    throw std::invalid_argument(
        "--http-auth basic: the credential must be printable ASCII without spaces, as it is "
        "sent in an HTTP header");
  }
  return std::string(credential);
}

std::optional<std::string_view> select_auth_header(
    std::optional<std::string_view> authorization,
    std::optional<std::string_view> x_authorization) {
  if (authorization && !is_header_text(*authorization) && x_authorization) return x_authorization;
  return authorization ? authorization : x_authorization;
}

AuthStrategy AuthStrategy::disabled() { return AuthStrategy(Kind::kDisabled); }

AuthStrategy AuthStrategy::http_basic(std::string credential, BasicSchemes schemes) {
  const std::string_view trimmed = trim_trailing_padding(credential);
  if (trimmed.empty()) throw std::invalid_argument("HTTP Basic credential is empty");
  AuthStrategy strategy(Kind::kHttpBasic);
  strategy.basic_credential_ = std::string(trimmed);
  strategy.basic_schemes_ = schemes;
  return strategy;
}

AuthStrategy AuthStrategy::jwt(JwtKeys keys, std::optional<std::string> gid, Clock now) {
  AuthStrategy strategy(Kind::kJwt);
  strategy.jwt_keys_ = std::move(keys);
  strategy.gid_ = std::move(gid);
  strategy.now_ = now ? std::move(now) : Clock([] { return std::chrono::system_clock::now(); });
  return strategy;
}

AuthResult AuthStrategy::authenticate(std::optional<std::string_view> credential) const {
  if (kind_ == Kind::kDisabled) return Principal::full_access();
  if (!credential) return AuthError{AuthErrorKind::kAuthHeaderNotFound, "no credential"};
  if (!is_header_text(*credential)) {
    return AuthError{AuthErrorKind::kAuthHeaderNonAscii, "the credential is not visible ASCII"};
  }
  return authenticate_text(*credential);
}

AuthResult AuthStrategy::authenticate_ws_hello(std::optional<std::string_view> jwt) const {
  if (kind_ == Kind::kDisabled) return Principal::full_access();
  if (!jwt) return AuthError{AuthErrorKind::kAuthHeaderNotFound, "the hello carries no jwt"};
  return authenticate_text("Bearer " + std::string(*jwt));
}

AuthResult AuthStrategy::authenticate_text(std::string_view credential) const {
  // "<scheme> <token>": sqld splits at the first space; RFC 7235 allows more than one.
  const std::size_t space = credential.find(' ');
  if (space == std::string_view::npos) {
    return AuthError{AuthErrorKind::kAuthStringMalformed, "no space after the scheme"};
  }
  const std::string_view scheme = credential.substr(0, space);
  std::string_view token = credential.substr(space + 1);
  while (!token.empty() && token.front() == ' ') token.remove_prefix(1);
  if (kind_ == Kind::kHttpBasic) return authenticate_basic(scheme, token);
  return authenticate_jwt(scheme, token);
}

AuthResult AuthStrategy::authenticate_basic(std::string_view scheme, std::string_view token) const {
  const bool scheme_accepted =
      iequals(scheme, "basic") ||
      (basic_schemes_ == BasicSchemes::kBasicOrBearer && iequals(scheme, "bearer"));
  if (!scheme_accepted) {
    return AuthError{AuthErrorKind::kHttpHeaderUnsupportedScheme,
                     "scheme `" + std::string(scheme) + "` on an HTTP Basic server"};
  }
  if (!constant_time_equals(trim_trailing_padding(token), basic_credential_)) {
    return AuthError{AuthErrorKind::kBasicRejected, "the credential does not match"};
  }
  return Principal::full_access();
}

AuthResult AuthStrategy::authenticate_jwt(std::string_view scheme, std::string_view token) const {
  if (!iequals(scheme, "bearer")) {
    return AuthError{AuthErrorKind::kHttpHeaderUnsupportedScheme,
                     "scheme `" + std::string(scheme) + "` on a JWT server, Bearer expected"};
  }
  JwtVerification verification = verify_jwt(jwt_keys_, token, now_());
  switch (verification.status) {
    case JwtStatus::kValid:
      return principal_from_claims(verification.claims, gid_);
    case JwtStatus::kInvalid:
      return AuthError{AuthErrorKind::kJwtInvalid, std::move(verification.detail)};
    case JwtStatus::kExpired:
      return AuthError{AuthErrorKind::kJwtExpired, std::move(verification.detail)};
    case JwtStatus::kImmature:
      return AuthError{AuthErrorKind::kJwtImmature, std::move(verification.detail)};
    case JwtStatus::kAudienceNotAccepted:
      return AuthError{AuthErrorKind::kOther, std::move(verification.detail)};
  }
  return AuthError{AuthErrorKind::kOther, "unknown JWT status"};
}

std::string http_unauthorized_body(const AuthError& error) {
  return http_error_body("Unauthorized: `" + std::string(error.message()) + "`");
}

hrana::Error ws_hello_error(const AuthError& error) {
  return hrana::Error{"Authentication failed: " + std::string(error.message()),
                      std::string(error.code())};
}

std::string grpc_unauthenticated_message(const AuthError& error) {
  return "AuthError: " + std::string(error.message());
}

std::string forbidden_message(Permission permission, std::string_view namespace_name) {
  return "Authorization forbidden: Current session doesn't not have " +
         std::string(permission_name(permission)) + " permission to namespace " +
         std::string(namespace_name);
}

std::string http_forbidden_body(Permission permission, std::string_view namespace_name) {
  return http_error_body(forbidden_message(permission, namespace_name));
}

std::string ddl_forbidden_message(std::string_view namespace_name) {
  return "Authorization forbidden: DDL statements not permitted on namespace " +
         std::string(namespace_name);
}

}  // namespace libsql::server
