// auth_test.cc: authentication strategies, the permission model and sqld's renderings of
// auth failures. JWTs are signed here with keys generated at test time.

#include "server/auth.h"

#include <openssl/evp.h>

#include <boost/json/parse.hpp>
#include <gtest/gtest.h>

#include <memory>
#include <stdexcept>
#include <string>

#include "server/test_tokens.h"

namespace libsql::server {
namespace {

using std::chrono::seconds;
using std::chrono::system_clock;

const system_clock::time_point kNow{seconds(1'700'000'000)};

// An Ed25519 key pair that signs JWTs.
class Signer {
 public:
  JwtKeys keys() const { return key_.keys(); }
  std::string sign(std::string_view payload) const { return testing::sign(key_, payload); }

 private:
  testing::TestKey key_ = testing::generate_ed25519();
};

AuthStrategy jwt_strategy(const Signer& signer, std::optional<std::string> gid = std::nullopt) {
  return AuthStrategy::jwt(signer.keys(), std::move(gid), [] { return kNow; });
}

std::string code_of(const AuthResult& result) {
  if (const auto* error = std::get_if<AuthError>(&result)) return std::string(error->code());
  return "OK";
}

// The principal of a successful result; fails the test otherwise.
Principal principal_of(const AuthResult& result) {
  if (const auto* error = std::get_if<AuthError>(&result)) {
    ADD_FAILURE() << "expected success, got " << error->code() << ": " << error->detail;
    return Principal::legacy("no such namespace", Permission::kRead);
  }
  return std::get<Principal>(result);
}

Access access(bool read, bool write, bool attach, bool ddl = false) {
  return Access{read, write, attach, ddl};
}

AuthResult bearer(const AuthStrategy& strategy, const std::string& token) {
  return strategy.authenticate("Bearer " + token);
}

// --- errors and renderings ---

TEST(AuthError, CodesAndMessagesAreSqlds) {
  const auto check = [](AuthErrorKind kind, std::string_view code, std::string_view message) {
    const AuthError error{kind, {}};
    EXPECT_EQ(error.code(), code);
    EXPECT_EQ(error.message(), message);
  };
  check(AuthErrorKind::kAuthHeaderNotFound, "AUTH_HEADER_NOT_FOUND",
        "Expected authorization header but none given");
  check(AuthErrorKind::kAuthStringMalformed, "AUTH_HEADER_MALFORMED",
        "Auth string does not conform to '<scheme> <token>' form");
  check(AuthErrorKind::kAuthHeaderNonAscii, "AUTH_HEADER_MALFORMED", "Non-ASCII auth header");
  check(AuthErrorKind::kHttpHeaderUnsupportedScheme, "AUTH_HTTP_HEADER_UNSUPPORTED_SCHEME",
        "The authentication scheme in the `Authorization` HTTP header is not supported");
  check(AuthErrorKind::kBasicRejected, "AUTH_BASIC_REJECTED",
        "The `Basic` HTTP authentication credentials were rejected");
  check(AuthErrorKind::kJwtInvalid, "AUTH_JWT_INVALID", "The JWT is invalid");
  check(AuthErrorKind::kJwtExpired, "AUTH_JWT_EXPIRED", "The JWT has expired");
  check(AuthErrorKind::kJwtImmature, "AUTH_JWT_IMMATURE", "The JWT is immature (not valid yet)");
  check(AuthErrorKind::kOther, "AUTH_FAILED", "Authentication failed");
}

TEST(AuthRendering, HttpUnauthorizedBodyIsSqlds) {
  EXPECT_EQ(http_unauthorized_body(AuthError{AuthErrorKind::kJwtInvalid, "detail"}),
            R"({"error":"Unauthorized: `The JWT is invalid`"})");
  EXPECT_EQ(http_unauthorized_body(AuthError{AuthErrorKind::kHttpHeaderUnsupportedScheme, {}}),
            R"({"error":"Unauthorized: `The authentication scheme in the `Authorization` HTTP )"
            R"(header is not supported`"})");
  EXPECT_EQ(kHttpStatusUnauthorized, 401);
}

TEST(AuthRendering, WsHelloErrorIsSqlds) {
  const hrana::Error error = ws_hello_error(AuthError{AuthErrorKind::kJwtExpired, "detail"});
  EXPECT_EQ(error.message, "Authentication failed: The JWT has expired");
  EXPECT_EQ(error.code, "AUTH_JWT_EXPIRED");
  EXPECT_EQ(grpc_unauthenticated_message(AuthError{AuthErrorKind::kJwtExpired, {}}),
            "AuthError: The JWT has expired");
}

TEST(AuthRendering, ForbiddenKeepsSqldsWording) {
  EXPECT_EQ(http_forbidden_body(Permission::kWrite, "default"),
            R"({"error":"Authorization forbidden: Current session doesn't not have Write )"
            R"(permission to namespace default"})");
  EXPECT_EQ(forbidden_message(Permission::kAttachRead, "other"),
            "Authorization forbidden: Current session doesn't not have AttachRead permission to "
            "namespace other");
  EXPECT_EQ(ddl_forbidden_message("ns"),
            "Authorization forbidden: DDL statements not permitted on namespace ns");
  EXPECT_EQ(http_forbidden_body(Permission::kRead, "a\"b"),
            R"({"error":"Authorization forbidden: Current session doesn't not have Read )"
            R"(permission to namespace a\"b"})");
}

// --- the --http-auth flag ---

TEST(AuthFlag, BasicGivesTheCredential) {
  EXPECT_EQ(parse_http_auth_flag("basic:dXNlcjpwYXNz"), "dXNlcjpwYXNz");
  EXPECT_EQ(parse_http_auth_flag("basic:dXNlcjpwdw=="), "dXNlcjpwdw==");
  EXPECT_EQ(parse_http_auth_flag("Basic:abc"), "abc");
}

TEST(AuthFlag, BadValuesAreRefused) {
  EXPECT_THROW(parse_http_auth_flag("dXNlcjpwYXNz"), std::invalid_argument) << "no scheme";
  EXPECT_THROW(parse_http_auth_flag("always"), std::invalid_argument);
  EXPECT_THROW(parse_http_auth_flag("bearer:abc"), std::invalid_argument);
  EXPECT_THROW(parse_http_auth_flag("basic:"), std::invalid_argument) << "empty credential";
  EXPECT_THROW(parse_http_auth_flag("basic:=="), std::invalid_argument) << "only padding";
  EXPECT_THROW(parse_http_auth_flag("basic:a b"), std::invalid_argument) << "space";
}

// --- HTTP Basic ---

constexpr std::string_view kCredential = "d29qdGVrOnRoZWJlYXI=";  // base64("wojtek:thebear")

TEST(AuthBasic, ExactCredentialGivesFullAccess) {
  const auto strategy = AuthStrategy::http_basic(std::string(kCredential));
  const Principal principal =
      principal_of(strategy.authenticate("Basic " + std::string(kCredential)));
  EXPECT_EQ(principal.kind(), Principal::Kind::kFullAccess);
  EXPECT_EQ(principal.access_to("any"), access(true, true, true, true));
  EXPECT_EQ(code_of(strategy.authenticate("bAsIc " + std::string(kCredential))), "OK")
      << "the scheme is case-insensitive";
  EXPECT_EQ(code_of(strategy.authenticate("Basic   " + std::string(kCredential))), "OK")
      << "RFC 7235 allows several spaces after the scheme";
}

TEST(AuthBasic, TrailingPaddingDoesNotMatter) {
  const auto strategy = AuthStrategy::http_basic(std::string(kCredential));
  EXPECT_EQ(code_of(strategy.authenticate("Basic d29qdGVrOnRoZWJlYXI")), "OK");
  const auto unpadded = AuthStrategy::http_basic("d29qdGVrOnRoZWJlYXI");
  EXPECT_EQ(code_of(unpadded.authenticate("Basic d29qdGVrOnRoZWJlYXI=")), "OK");
}

TEST(AuthBasic, WrongCredentialIsRejected) {
  const auto strategy = AuthStrategy::http_basic(std::string(kCredential));
  EXPECT_EQ(code_of(strategy.authenticate("Basic YWJj")), "AUTH_BASIC_REJECTED");
  EXPECT_EQ(code_of(strategy.authenticate("Basic ")), "AUTH_BASIC_REJECTED");
  EXPECT_EQ(code_of(strategy.authenticate("Basic D29QDGVROnROZWJlYXI=")), "AUTH_BASIC_REJECTED")
      << "case matters in the credential";
}

TEST(AuthBasic, PrefixSuffixAndSupersetOfTheCredentialAreRejected) {
  // sqld accepts any token that contains the credential; we want it exactly.
  const auto strategy = AuthStrategy::http_basic(std::string(kCredential));
  const std::string credential(kCredential);
  EXPECT_EQ(code_of(strategy.authenticate("Basic " + credential.substr(0, 10))),
            "AUTH_BASIC_REJECTED")
      << "prefix";
  EXPECT_EQ(code_of(strategy.authenticate("Basic " + credential.substr(5))), "AUTH_BASIC_REJECTED")
      << "suffix";
  EXPECT_EQ(code_of(strategy.authenticate("Basic xx" + credential)), "AUTH_BASIC_REJECTED")
      << "credential inside a longer token";
  EXPECT_EQ(code_of(strategy.authenticate("Basic " + credential + "xx")), "AUTH_BASIC_REJECTED");
  EXPECT_EQ(code_of(strategy.authenticate("Basic " + credential + " " + credential)),
            "AUTH_BASIC_REJECTED");
}

TEST(AuthBasic, OtherSchemesAreUnsupported) {
  const auto strategy = AuthStrategy::http_basic(std::string(kCredential));
  EXPECT_EQ(code_of(strategy.authenticate("Bearer " + std::string(kCredential))),
            "AUTH_HTTP_HEADER_UNSUPPORTED_SCHEME");
  EXPECT_EQ(code_of(strategy.authenticate_ws_hello(kCredential)),
            "AUTH_HTTP_HEADER_UNSUPPORTED_SCHEME")
      << "a hello's jwt is a Bearer credential";
}

TEST(AuthBasic, BearerMayBeAllowedForTheOfficialClients) {
  const auto strategy = AuthStrategy::http_basic(std::string(kCredential),
                                                 AuthStrategy::BasicSchemes::kBasicOrBearer);
  EXPECT_EQ(code_of(strategy.authenticate("Bearer " + std::string(kCredential))), "OK");
  EXPECT_EQ(code_of(strategy.authenticate_ws_hello(kCredential)), "OK");
  EXPECT_EQ(code_of(strategy.authenticate("Bearer xx" + std::string(kCredential))),
            "AUTH_BASIC_REJECTED");
  EXPECT_EQ(code_of(strategy.authenticate("Digest " + std::string(kCredential))),
            "AUTH_HTTP_HEADER_UNSUPPORTED_SCHEME");
}

TEST(AuthBasic, MissingOrMalformedHeader) {
  const auto strategy = AuthStrategy::http_basic(std::string(kCredential));
  EXPECT_EQ(code_of(strategy.authenticate(std::nullopt)), "AUTH_HEADER_NOT_FOUND");
  EXPECT_EQ(code_of(strategy.authenticate_ws_hello(std::nullopt)), "AUTH_HEADER_NOT_FOUND");
  EXPECT_EQ(code_of(strategy.authenticate(std::string(kCredential))), "AUTH_HEADER_MALFORMED");
  const auto non_ascii = strategy.authenticate("Basic caf\xc3\xa9");
  ASSERT_EQ(code_of(non_ascii), "AUTH_HEADER_MALFORMED");
  EXPECT_EQ(std::get<AuthError>(non_ascii).message(), "Non-ASCII auth header");
}

TEST(AuthBasic, EmptyCredentialCannotBeConfigured) {
  EXPECT_THROW(AuthStrategy::http_basic(""), std::invalid_argument);
  EXPECT_THROW(AuthStrategy::http_basic("="), std::invalid_argument);
}

// --- disabled ---

TEST(AuthDisabled, EveryoneHasFullAccess) {
  const auto strategy = AuthStrategy::disabled();
  for (const std::optional<std::string_view> credential :
       {std::optional<std::string_view>(), std::optional<std::string_view>("garbage"),
        std::optional<std::string_view>("Bearer not.a.jwt")}) {
    EXPECT_EQ(principal_of(strategy.authenticate(credential)).kind(), Principal::Kind::kFullAccess);
  }
  EXPECT_EQ(principal_of(strategy.authenticate_ws_hello(std::nullopt)).kind(),
            Principal::Kind::kFullAccess);
}

// --- which header ---

TEST(AuthHeaders, AuthorizationTakesPrecedenceOverXAuthorization) {
  EXPECT_EQ(select_auth_header("Bearer a", "Bearer b"), "Bearer a");
  EXPECT_EQ(select_auth_header(std::nullopt, "Bearer b"), "Bearer b");
  EXPECT_EQ(select_auth_header("Bearer a", std::nullopt), "Bearer a");
  EXPECT_EQ(select_auth_header(std::nullopt, std::nullopt), std::nullopt);
  EXPECT_EQ(select_auth_header("Bearer \xc3\xa9", "Bearer b"), "Bearer b")
      << "sqld drops a non-ASCII Authorization";
  EXPECT_EQ(select_auth_header("Bearer \xc3\xa9", std::nullopt), "Bearer \xc3\xa9");
}

TEST(AuthHeaders, XAuthorizationAuthenticatesWhenAuthorizationIsAbsent) {
  const auto strategy = AuthStrategy::http_basic(std::string(kCredential));
  const std::string good = "Basic " + std::string(kCredential);
  EXPECT_EQ(code_of(strategy.authenticate(select_auth_header(std::nullopt, good))), "OK");
  EXPECT_EQ(code_of(strategy.authenticate(select_auth_header("Basic wrong", good))),
            "AUTH_BASIC_REJECTED")
      << "Authorization wins even when only x-authorization is right";
}

// --- JWT ---

TEST(AuthJwt, TokenWithoutClaimsReadsAndWritesEveryNamespace) {
  const Signer signer;
  const Principal principal = principal_of(bearer(jwt_strategy(signer), signer.sign("{}")));
  EXPECT_EQ(principal.kind(), Principal::Kind::kLegacy);
  EXPECT_EQ(principal.access_to("default"), access(true, true, false));
  EXPECT_EQ(principal.access_to("other"), access(true, true, false));
}

TEST(AuthJwt, LegacyPermissions) {
  const Signer signer;
  const auto strategy = jwt_strategy(signer);
  EXPECT_EQ(principal_of(bearer(strategy, signer.sign(R"({"a":"rw"})"))).access_to("x"),
            access(true, true, false));
  EXPECT_EQ(principal_of(bearer(strategy, signer.sign(R"({"a":"ro"})"))).access_to("x"),
            access(true, false, false));
  EXPECT_EQ(principal_of(bearer(strategy, signer.sign(R"({"a":"roa"})"))).access_to("x"),
            access(true, false, true));
  EXPECT_EQ(principal_of(bearer(strategy, signer.sign(R"({"a":null,"id":null})"))).access_to("x"),
            access(true, true, false));
}

TEST(AuthJwt, LegacyIdScopesToOneNamespace) {
  const Signer signer;
  const Principal principal =
      principal_of(bearer(jwt_strategy(signer), signer.sign(R"({"id":"db1","a":"ro"})")));
  EXPECT_EQ(principal.access_to("db1"), access(true, false, false));
  EXPECT_EQ(principal.access_to("default"), Access{}) << "sqld answers 404 here";
  EXPECT_EQ(principal.access_to("db10"), Access{});
}

TEST(AuthJwt, BadLegacyClaimsAreInvalid) {
  const Signer signer;
  const auto strategy = jwt_strategy(signer);
  EXPECT_EQ(code_of(bearer(strategy, signer.sign(R"({"a":"rwa"})"))), "AUTH_JWT_INVALID");
  EXPECT_EQ(code_of(bearer(strategy, signer.sign(R"({"a":"RW"})"))), "AUTH_JWT_INVALID");
  EXPECT_EQ(code_of(bearer(strategy, signer.sign(R"({"a":1})"))), "AUTH_JWT_INVALID");
  EXPECT_EQ(code_of(bearer(strategy, signer.sign(R"({"id":""})"))), "AUTH_JWT_INVALID");
  EXPECT_EQ(code_of(bearer(strategy, signer.sign(R"({"id":7})"))), "AUTH_JWT_INVALID");
  EXPECT_EQ(code_of(bearer(strategy, signer.sign(R"({"a":"bad","p":{}})"))), "AUTH_JWT_INVALID")
      << "sqld reads `a` even when `p` is present";
}

TEST(AuthJwt, TimeFailures) {
  const Signer signer;
  const auto strategy = jwt_strategy(signer);
  EXPECT_EQ(code_of(bearer(strategy, signer.sign(R"({"exp":1699999000})"))), "AUTH_JWT_EXPIRED");
  EXPECT_EQ(code_of(bearer(strategy, signer.sign(R"({"exp":1699999950})"))), "OK")
      << "50 s late is within the leeway";
  EXPECT_EQ(code_of(bearer(strategy, signer.sign(R"({"nbf":1700000500})"))), "AUTH_JWT_IMMATURE");
  EXPECT_EQ(code_of(bearer(strategy, signer.sign(R"({"exp":"1800000000"})"))), "AUTH_JWT_INVALID");
}

TEST(AuthJwt, ClockIsInjected) {
  const Signer signer;
  const std::string token = signer.sign(R"({"exp":1700000000})");
  const auto later =
      AuthStrategy::jwt(signer.keys(), std::nullopt, [] { return kNow + std::chrono::minutes(2); });
  EXPECT_EQ(code_of(bearer(jwt_strategy(signer), token)), "OK");
  EXPECT_EQ(code_of(bearer(later, token)), "AUTH_JWT_EXPIRED");
}

TEST(AuthJwt, OtherFailures) {
  const Signer signer;
  const Signer stranger;
  const auto strategy = jwt_strategy(signer);
  EXPECT_EQ(code_of(bearer(strategy, stranger.sign("{}"))), "AUTH_JWT_INVALID");
  EXPECT_EQ(code_of(bearer(strategy, "abc")), "AUTH_JWT_INVALID");
  EXPECT_EQ(code_of(bearer(strategy, "")), "AUTH_JWT_INVALID");
  EXPECT_EQ(code_of(bearer(strategy, signer.sign(R"({"aud":"x"})"))), "AUTH_FAILED");
  EXPECT_EQ(code_of(strategy.authenticate(std::nullopt)), "AUTH_HEADER_NOT_FOUND");
  EXPECT_EQ(code_of(strategy.authenticate("Bearer")), "AUTH_HEADER_MALFORMED");
  EXPECT_EQ(code_of(strategy.authenticate(signer.sign("{}"))), "AUTH_HEADER_MALFORMED")
      << "no space";
  EXPECT_EQ(code_of(strategy.authenticate("Basic " + signer.sign("{}"))),
            "AUTH_HTTP_HEADER_UNSUPPORTED_SCHEME");
  EXPECT_EQ(code_of(strategy.authenticate("bearer " + signer.sign("{}"))), "OK");
  EXPECT_EQ(code_of(strategy.authenticate("BEARER " + signer.sign("{}"))), "OK");
}

TEST(AuthJwt, WebSocketHelloJwtIsABearerToken) {
  const Signer signer;
  const auto strategy = jwt_strategy(signer);
  const Principal principal =
      principal_of(strategy.authenticate_ws_hello(signer.sign(R"({"a":"ro"})")));
  EXPECT_EQ(principal.access_to("x"), access(true, false, false));
  EXPECT_EQ(code_of(strategy.authenticate_ws_hello(std::nullopt)), "AUTH_HEADER_NOT_FOUND");
  EXPECT_EQ(code_of(strategy.authenticate_ws_hello("")), "AUTH_JWT_INVALID");
  EXPECT_EQ(code_of(strategy.authenticate_ws_hello("\xc3\xa9")), "AUTH_JWT_INVALID");
}

// --- fine-grained permissions ---

TEST(AuthPermissions, FineGrainedScopesByNamespace) {
  const Signer signer;
  const Principal principal = principal_of(
      bearer(jwt_strategy(signer), signer.sign(R"({"p":{"ro":{"ns":["r1","r2"]},"rw":{"ns":["w"]},)"
                                               R"("roa":{"ns":["ra"]},"rwa":{"ns":["wa"]},)"
                                               R"("ddl":{"ns":["d"]}},"id":"w","a":"ro"})")));
  EXPECT_EQ(principal.kind(), Principal::Kind::kFineGrained);
  EXPECT_EQ(principal.access_to("r1"), access(true, false, false));
  EXPECT_EQ(principal.access_to("r2"), access(true, false, false));
  EXPECT_EQ(principal.access_to("w"), access(true, true, false))
      << "`id`/`a` grant nothing next to `p`";
  EXPECT_EQ(principal.access_to("ra"), access(true, false, true));
  EXPECT_EQ(principal.access_to("wa"), access(true, true, true));
  EXPECT_EQ(principal.access_to("d"), access(true, true, false, true));
  EXPECT_EQ(principal.access_to("default"), Access{});
}

TEST(AuthPermissions, EmptyPGrantsNothing) {
  const Signer signer;
  const Principal principal =
      principal_of(bearer(jwt_strategy(signer), signer.sign(R"({"p":{},"a":"rw"})")));
  EXPECT_EQ(principal.kind(), Principal::Kind::kFineGrained);
  EXPECT_EQ(principal.access_to("default"), Access{});
  EXPECT_EQ(principal_of(bearer(jwt_strategy(signer), signer.sign(R"({"p":null})"))).kind(),
            Principal::Kind::kLegacy)
      << "a null `p` is an absent one";
}

TEST(AuthPermissions, TagsMatchTheServersGroupId) {
  const Signer signer;
  const std::string token =
      signer.sign(R"({"p":{"ro":{"tags":["group1"]},"rw":{"ns":["mine"],"tags":["group2"]}}})");
  const Principal in_group1 = principal_of(bearer(jwt_strategy(signer, "group1"), token));
  EXPECT_EQ(in_group1.access_to("anything"), access(true, false, false));
  EXPECT_EQ(in_group1.access_to("mine"), access(true, true, false));
  const Principal in_group2 = principal_of(bearer(jwt_strategy(signer, "group2"), token));
  EXPECT_EQ(in_group2.access_to("anything"), access(true, true, false));
  const Principal elsewhere = principal_of(bearer(jwt_strategy(signer, "group3"), token));
  EXPECT_EQ(elsewhere.access_to("anything"), Access{});
  const Principal no_gid = principal_of(bearer(jwt_strategy(signer, std::nullopt), token));
  EXPECT_EQ(no_gid.access_to("anything"), Access{});
  EXPECT_EQ(no_gid.access_to("mine"), access(true, true, false));
}

TEST(AuthPermissions, MalformedPIsInvalid) {
  const Signer signer;
  const auto strategy = jwt_strategy(signer);
  for (const char* claims : {R"({"p":[]})", R"({"p":"rw"})", R"({"p":{"rw":[]}})",
                             R"({"p":{"rw":{"ns":"a"}}})", R"({"p":{"ro":{"ns":[1]}}})",
                             R"({"p":{"ro":{"ns":[""]}}})", R"({"p":{"ro":{"tags":{}}}})"}) {
    EXPECT_EQ(code_of(bearer(strategy, signer.sign(claims))), "AUTH_JWT_INVALID") << claims;
  }
  EXPECT_EQ(code_of(bearer(strategy, signer.sign(R"({"p":{"rw":null,"xyz":1,"ro":{"ns":null}}})"))),
            "OK")
      << "null scopes and unknown members are ignored, as serde does";
}

TEST(AuthPermissions, AccessAllowsByPermission) {
  const Access read_only = access(true, false, false);
  EXPECT_TRUE(read_only.allows(Permission::kRead));
  EXPECT_FALSE(read_only.allows(Permission::kWrite));
  EXPECT_FALSE(read_only.allows(Permission::kAttachRead));
  EXPECT_EQ(permission_name(Permission::kAttachRead), "AttachRead");
}

TEST(AuthPermissions, ClaimsCanBeReadWithoutAToken) {
  const auto claims = boost::json::parse(R"({"id":"a","a":"roa"})").as_object();
  const Principal principal = principal_of(principal_from_claims(claims, std::nullopt));
  EXPECT_EQ(principal.access_to("a"), access(true, false, true));
}

}  // namespace
}  // namespace libsql::server
