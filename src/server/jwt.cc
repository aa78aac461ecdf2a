// jwt.cc: Ed25519 key parsing and JWT verification with OpenSSL 3 (jwt.h).
//
// Facts about sqld's behaviour come from libsql-server/src/auth/parsers.rs
// (parse_jwt_keys) and user_auth_strategies/jwt.rs (validate_jwt, jsonwebtoken 9.3).

#include "server/jwt.h"

#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include <algorithm>
#include <cmath>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>

namespace libsql::server {
namespace {

struct PkeyFree {
  void operator()(EVP_PKEY* key) const { EVP_PKEY_free(key); }
};
struct BioFree {
  void operator()(BIO* bio) const { BIO_free(bio); }
};
struct MdCtxFree {
  void operator()(EVP_MD_CTX* ctx) const { EVP_MD_CTX_free(ctx); }
};
using PkeyPtr = std::unique_ptr<EVP_PKEY, PkeyFree>;
using BioPtr = std::unique_ptr<BIO, BioFree>;
using MdCtxPtr = std::unique_ptr<EVP_MD_CTX, MdCtxFree>;

// The oldest error OpenSSL queued on this thread, and an empty queue afterwards, so a
// failure here never shows up in someone else's ERR_get_error().
std::string take_openssl_error() {
  const unsigned long code = ERR_get_error();
  ERR_clear_error();
  if (code == 0) return "no detail from OpenSSL";
  char text[256];
  ERR_error_string_n(code, text, sizeof text);
  return text;
}

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

std::string_view trim(std::string_view text) {
  while (!text.empty() && is_space(text.front())) text.remove_prefix(1);
  while (!text.empty() && is_space(text.back())) text.remove_suffix(1);
  return text;
}

int base64url_digit(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '-') return 62;
  if (c == '_') return 63;
  return -1;
}

// URL-safe base64 without padding, canonical only (unused low bits of the last digit must
// be zero), as jsonwebtoken's URL_SAFE_NO_PAD engine decodes it.
std::optional<std::string> base64url_decode(std::string_view text) {
  if (text.size() % 4 == 1) return std::nullopt;
  std::string out;
  out.reserve(text.size() * 3 / 4);
  std::uint32_t bits = 0;
  int bit_count = 0;
  for (char c : text) {
    const int digit = base64url_digit(c);
    if (digit < 0) return std::nullopt;
    bits = (bits << 6) | static_cast<std::uint32_t>(digit);
    bit_count += 6;
    if (bit_count >= 8) {
      bit_count -= 8;
      out.push_back(static_cast<char>((bits >> bit_count) & 0xff));
    }
  }
  if ((bits & ((1u << bit_count) - 1)) != 0) return std::nullopt;
  return out;
}

[[noreturn]] void key_error(const std::string& what) {
  throw std::invalid_argument("invalid JWT key: " + what);
}

Ed25519PublicKey raw_public_key(EVP_PKEY* key, const std::string& where) {
  Ed25519PublicKey raw{};
  std::size_t length = raw.size();
  if (EVP_PKEY_get_raw_public_key(key, raw.data(), &length) != 1 || length != raw.size()) {
    key_error(where + ": cannot read the Ed25519 public key (" + take_openssl_error() + ")");
  }
  return raw;
}

// One `-----BEGIN PUBLIC KEY-----` ... `-----END PUBLIC KEY-----` block.
Ed25519PublicKey parse_pem_public_key(std::string_view block, const std::string& where) {
  BioPtr bio(BIO_new_mem_buf(block.data(), static_cast<int>(block.size())));
  if (!bio) key_error(where + ": out of memory");
  PkeyPtr key(PEM_read_bio_PUBKEY(bio.get(), nullptr, nullptr, nullptr));
  if (!key) {
    key_error(where + " is not a valid public key (" + take_openssl_error() + ")");
  }
  if (EVP_PKEY_get_base_id(key.get()) != EVP_PKEY_ED25519) {
    const char* type = EVP_PKEY_get0_type_name(key.get());
    key_error(where + " holds " + (type ? std::string("an ") + type : std::string("a")) +
              " key, but only Ed25519 keys can verify sqld's JWTs (EdDSA)");
  }
  return raw_public_key(key.get(), where);
}

JwtKeys parse_pem_keys(std::string_view text) {
  static constexpr std::string_view kBegin = "-----BEGIN ";
  static constexpr std::string_view kDashes = "-----";
  std::vector<Ed25519PublicKey> keys;
  std::size_t pos = 0;
  for (int number = 1;; ++number) {
    while (pos < text.size() && is_space(text[pos])) ++pos;
    if (pos == text.size()) break;
    const std::string where = "PEM block " + std::to_string(number);
    if (text.substr(pos, kBegin.size()) != kBegin) {
      key_error("unexpected text where " + where + " should start: `" +
                std::string(text.substr(pos, 20)) + "`");
    }
    const std::size_t label_start = pos + kBegin.size();
    const std::size_t label_end = text.find(kDashes, label_start);
    const std::size_t line_end = text.find('\n', label_start);
    if (label_end == std::string_view::npos || label_end > line_end || label_end == label_start) {
      key_error(where + " has a malformed BEGIN line");
    }
    const std::string label(text.substr(label_start, label_end - label_start));
    const std::string end_line = "-----END " + label + "-----";
    const std::size_t end = text.find(end_line, label_end);
    if (end == std::string_view::npos) {
      key_error(where + " (" + label + ") has no `" + end_line + "` line");
    }
    const std::string_view block = text.substr(pos, end + end_line.size() - pos);
    pos = end + end_line.size();

    if (label == "PUBLIC KEY") {
      keys.push_back(parse_pem_public_key(block, where));
    } else if (label.ends_with("PRIVATE KEY")) {
      // sqld: "Received a private key, but a public key is expected".
      key_error(where + " is a private key (" + label +
                "), but a public key is expected: give the server only the PUBLIC KEY");
    } else {
      key_error(where + " is a " + label + ", but only PUBLIC KEY blocks are accepted");
    }
  }
  return JwtKeys(std::move(keys));
}

JwtKeys parse_raw_key(std::string_view text) {
  if (text.find('=') != std::string_view::npos) {
    key_error("a raw Ed25519 key must be URL-safe base64 without `=` padding");
  }
  if (text.find_first_of("+/") != std::string_view::npos) {
    key_error(
        "a raw Ed25519 key must be URL-safe base64 (`-` and `_`), not standard base64 (`+` and "
        "`/`)");
  }
  const auto bytes = base64url_decode(text);
  if (!bytes) {
    key_error("not a PEM block and not a raw Ed25519 key in URL-safe base64 without padding");
  }
  Ed25519PublicKey raw{};
  if (bytes->size() != raw.size()) {
    key_error("a raw Ed25519 public key is 32 bytes, this one decodes to " +
              std::to_string(bytes->size()));
  }
  std::copy(bytes->begin(), bytes->end(), raw.begin());
  return JwtKeys({raw});
}

bool verify_ed25519(const Ed25519PublicKey& raw, std::string_view signed_text,
                    std::string_view signature) {
  PkeyPtr key(EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nullptr, raw.data(), raw.size()));
  MdCtxPtr ctx(EVP_MD_CTX_new());
  const bool ok =
      key && ctx && EVP_DigestVerifyInit(ctx.get(), nullptr, nullptr, nullptr, key.get()) == 1 &&
      EVP_DigestVerify(ctx.get(), reinterpret_cast<const unsigned char*>(signature.data()),
                       signature.size(), reinterpret_cast<const unsigned char*>(signed_text.data()),
                       signed_text.size()) == 1;
  ERR_clear_error();
  return ok;
}

// A JSON object from base64url text, or nullopt.
std::optional<boost::json::object> decode_json_object(std::string_view part) {
  const auto bytes = base64url_decode(part);
  if (!bytes) return std::nullopt;
  boost::system::error_code error;
  boost::json::value value = boost::json::parse(*bytes, error);
  if (error || !value.is_object()) return std::nullopt;
  return std::move(value.as_object());
}

enum class ClaimRead { kAbsent, kNumber, kNotANumber };

// A NumericDate claim; explicit null counts as absent (serde's Option does the same).
ClaimRead read_numeric_date(const boost::json::object& claims, std::string_view name,
                            double& value) {
  const boost::json::value* claim = claims.if_contains(name);
  if (!claim || claim->is_null()) return ClaimRead::kAbsent;
  if (!claim->is_number()) return ClaimRead::kNotANumber;
  value = claim->to_number<double>();
  return std::isfinite(value) ? ClaimRead::kNumber : ClaimRead::kNotANumber;
}

JwtVerification failed(JwtStatus status, std::string detail) {
  return JwtVerification{status, std::move(detail), {}};
}

}  // namespace

JwtKeys parse_jwt_keys(std::string_view text) {
  text = trim(text);
  if (text.empty()) key_error("the key text is empty");
  if (text.starts_with("-----BEGIN")) return parse_pem_keys(text);
  return parse_raw_key(text);
}

JwtVerification verify_jwt(const JwtKeys& keys, std::string_view token,
                           std::chrono::system_clock::time_point now) {
  const auto dots = std::count(token.begin(), token.end(), '.');
  if (dots != 2) {
    return failed(JwtStatus::kInvalid,
                  "a JWT has 3 parts separated by `.`, this one has " + std::to_string(dots + 1));
  }
  const std::size_t first_dot = token.find('.');
  const std::size_t second_dot = token.find('.', first_dot + 1);
  const std::string_view header_part = token.substr(0, first_dot);
  const std::string_view payload_part = token.substr(first_dot + 1, second_dot - first_dot - 1);
  const std::string_view signature_part = token.substr(second_dot + 1);

  const auto header = decode_json_object(header_part);
  if (!header) {
    return failed(JwtStatus::kInvalid, "the header is not a JSON object in base64url");
  }
  const boost::json::value* alg = header->if_contains("alg");
  if (!alg || !alg->is_string()) {
    return failed(JwtStatus::kInvalid, "the header has no `alg` string");
  }
  if (alg->as_string() != "EdDSA") {
    return failed(JwtStatus::kInvalid, "the header's alg is `" + std::string(alg->as_string()) +
                                           "`, only EdDSA is accepted");
  }
  const auto signature = base64url_decode(signature_part);
  if (!signature || signature->size() != 64) {
    return failed(JwtStatus::kInvalid, "the signature is not 64 bytes in base64url");
  }
  if (keys.empty()) return failed(JwtStatus::kInvalid, "no key to verify the JWT with");

  const std::string_view signed_text = token.substr(0, second_dot);
  const bool verified = std::any_of(keys.keys().begin(), keys.keys().end(), [&](const auto& key) {
    return verify_ed25519(key, signed_text, *signature);
  });
  if (!verified) {
    return failed(JwtStatus::kInvalid,
                  "the signature matches none of the " + std::to_string(keys.size()) + " key(s)");
  }

  auto claims = decode_json_object(payload_part);
  if (!claims) {
    return failed(JwtStatus::kInvalid, "the payload is not a JSON object in base64url");
  }
  // jsonwebtoken compares with whole seconds of the current time.
  const auto now_seconds =
      static_cast<double>(std::chrono::floor<std::chrono::seconds>(now.time_since_epoch()).count());
  const auto leeway = static_cast<double>(kJwtLeeway.count());

  double exp = 0;
  switch (read_numeric_date(*claims, "exp", exp)) {
    case ClaimRead::kNotANumber:
      return failed(JwtStatus::kInvalid, "the `exp` claim is not a number");
    case ClaimRead::kNumber:
      if (exp < now_seconds - leeway) {
        return failed(
            JwtStatus::kExpired,
            "expired " + std::to_string(static_cast<long long>(now_seconds - exp)) + " s ago");
      }
      break;
    case ClaimRead::kAbsent:
      break;
  }
  double nbf = 0;
  switch (read_numeric_date(*claims, "nbf", nbf)) {
    case ClaimRead::kNotANumber:
      return failed(JwtStatus::kInvalid, "the `nbf` claim is not a number");
    case ClaimRead::kNumber:
      if (nbf > now_seconds + leeway) {
        return failed(JwtStatus::kImmature,
                      "not valid for another " +
                          std::to_string(static_cast<long long>(nbf - now_seconds)) + " s");
      }
      break;
    case ClaimRead::kAbsent:
      break;
  }
  if (const auto* aud = claims->if_contains("aud"); aud && !aud->is_null()) {
    return failed(JwtStatus::kAudienceNotAccepted,
                  "the JWT names an audience (`aud`), and this server accepts none");
  }
  return JwtVerification{JwtStatus::kValid, {}, std::move(*claims)};
}

}  // namespace libsql::server
