// jwt.h: sqld's JSON Web Tokens: Ed25519 public keys as sqld reads them, and the
// verification of a token's signature (EdDSA only) and its time claims (exp, nbf).
//
// This file answers "was this token signed by one of our keys, and is it current?" and
// hands back the claims. What the claims allow (namespaces, read/write) is auth.h's
// business; where the token came from (a header, a WebSocket hello) is the caller's.
// Knows nothing of HTTP, routing or namespace storage. All functions are thread-safe:
// JwtKeys is immutable once parsed.
#pragma once

#include <boost/json/object.hpp>

#include <array>
#include <chrono>
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace libsql::server {

// The raw bytes of one Ed25519 public key (RFC 8032).
using Ed25519PublicKey = std::array<unsigned char, 32>;

// The keys a token may be signed with, tried in order.
class JwtKeys {
 public:
  JwtKeys() = default;
  explicit JwtKeys(std::vector<Ed25519PublicKey> keys) : keys_(std::move(keys)) {}

  bool empty() const { return keys_.empty(); }
  std::size_t size() const { return keys_.size(); }
  const std::vector<Ed25519PublicKey>& keys() const { return keys_; }

 private:
  std::vector<Ed25519PublicKey> keys_;
};

// Reads the text of `--auth-jwt-key-file` / SQLD_AUTH_JWT_KEY (and a namespace's `jwt_key`).
// Surrounding whitespace is ignored (sqld does not ignore it: a trailing newline breaks it).
// - Text starting with `-----BEGIN`: one or more PEM blocks separated by whitespace, each
//   a `PUBLIC KEY` (SubjectPublicKeyInfo) holding an Ed25519 key.
// - Otherwise: one raw 32-byte Ed25519 public key in URL-safe base64 without padding.
// Throws std::invalid_argument naming the problem: a private key, another PEM type, a
// non-Ed25519 key, bad base64, a wrong length.
JwtKeys parse_jwt_keys(std::string_view text);

// jsonwebtoken's default leeway, which sqld keeps, for `exp` (and our `nbf`).
inline constexpr std::chrono::seconds kJwtLeeway{60};

enum class JwtStatus {
  kValid,
  // Malformed, not EdDSA, bad signature under every key, payload not a JSON object, a
  // time claim that is not a number: sqld's JwtInvalid.
  kInvalid,
  kExpired,   // exp < now - leeway
  kImmature,  // nbf > now + leeway (sqld does not check nbf; we do)
  // A present `aud` claim: jsonwebtoken 9 rejects it when no audience is configured, and
  // sqld configures none, so sqld answers AUTH_FAILED ("Authentication failed").
  kAudienceNotAccepted,
};

struct JwtVerification {
  JwtStatus status = JwtStatus::kInvalid;
  // Why, for logs only (never sent to the client: sqld's messages carry no detail).
  std::string detail;
  // The payload, when status is kValid.
  boost::json::object claims;
};

// Verifies a compact JWS `header.payload.signature` (base64url without padding, header
// `alg` exactly "EdDSA") against `keys` in order, then checks `exp` and `nbf` against `now`
// with kJwtLeeway. As in sqld, a signature that no key verifies is kInvalid, and time
// claims are only looked at once a key verified the signature. Never throws on bad input.
JwtVerification verify_jwt(const JwtKeys& keys, std::string_view token,
                           std::chrono::system_clock::time_point now);

}  // namespace libsql::server
