// jwt_test.cc: Ed25519 key parsing and JWT verification. Every key and token is made
// here, with OpenSSL, at test time.

#include "server/jwt.h"

#include <openssl/bio.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include <gtest/gtest.h>

#include <memory>
#include <stdexcept>
#include <string>

#include "server/test_tokens.h"

namespace libsql::server {
namespace {

using std::chrono::seconds;
using std::chrono::system_clock;

using testing::base64url;
using testing::ed25519_signature;
using testing::generate_ed25519;
using testing::PkeyPtr;
using testing::sign;
using testing::TestKey;

const system_clock::time_point kNow{seconds(1'700'000'000)};

std::string at(long long offset_seconds) {
  return std::to_string(1'700'000'000LL + offset_seconds);
}

std::string bio_text(BIO* bio) {
  char* data = nullptr;
  const long size = BIO_get_mem_data(bio, &data);
  return std::string(data, static_cast<std::size_t>(size));
}

std::string public_pem(EVP_PKEY* key) {
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new(BIO_s_mem()), BIO_free);
  EXPECT_EQ(PEM_write_bio_PUBKEY(bio.get(), key), 1) << "cannot write a public key as PEM";
  return bio_text(bio.get());
}

std::string private_pem(EVP_PKEY* key) {
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new(BIO_s_mem()), BIO_free);
  EXPECT_EQ(PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr), 1)
      << "cannot write a private key as PEM";
  return bio_text(bio.get());
}

JwtStatus status_of(const JwtKeys& keys, const std::string& token) {
  return verify_jwt(keys, token, kNow).status;
}

TEST(Jwt, ValidTokenYieldsItsClaims) {
  const TestKey key = generate_ed25519();
  const auto result =
      verify_jwt(key.keys(), sign(key, R"({"a":"rw","exp":)" + at(3600) + "}"), kNow);
  ASSERT_EQ(result.status, JwtStatus::kValid) << result.detail;
  EXPECT_EQ(result.claims.at("a").as_string(), "rw");
}

TEST(Jwt, TokenWithoutClaimsIsValid) {
  const TestKey key = generate_ed25519();
  EXPECT_EQ(status_of(key.keys(), sign(key, "{}")), JwtStatus::kValid);
}

TEST(Jwt, ExpiredPastTheLeewayIsExpired) {
  const TestKey key = generate_ed25519();
  EXPECT_EQ(status_of(key.keys(), sign(key, R"({"exp":)" + at(-61) + "}")), JwtStatus::kExpired);
  EXPECT_EQ(status_of(key.keys(), sign(key, R"({"exp":)" + at(-3600) + "}")), JwtStatus::kExpired);
}

TEST(Jwt, ExpiredWithinTheLeewayIsStillValid) {
  const TestKey key = generate_ed25519();
  EXPECT_EQ(status_of(key.keys(), sign(key, R"({"exp":)" + at(-60) + "}")), JwtStatus::kValid);
  EXPECT_EQ(status_of(key.keys(), sign(key, R"({"exp":)" + at(-1) + "}")), JwtStatus::kValid);
}

TEST(Jwt, NullExpIsIgnored) {
  const TestKey key = generate_ed25519();
  EXPECT_EQ(status_of(key.keys(), sign(key, R"({"exp":null,"nbf":null})")), JwtStatus::kValid);
}

TEST(Jwt, FractionalExpIsANumber) {
  const TestKey key = generate_ed25519();
  EXPECT_EQ(status_of(key.keys(), sign(key, R"({"exp":)" + at(100) + ".5}")), JwtStatus::kValid);
  EXPECT_EQ(status_of(key.keys(), sign(key, R"({"exp":)" + at(-100) + ".5}")), JwtStatus::kExpired);
}

TEST(Jwt, NotBeforeInTheFutureIsImmature) {
  const TestKey key = generate_ed25519();
  EXPECT_EQ(status_of(key.keys(), sign(key, R"({"nbf":)" + at(61) + "}")), JwtStatus::kImmature);
  EXPECT_EQ(status_of(key.keys(), sign(key, R"({"nbf":)" + at(60) + "}")), JwtStatus::kValid)
      << "nbf within the leeway is accepted";
  EXPECT_EQ(status_of(key.keys(), sign(key, R"({"nbf":)" + at(-10) + "}")), JwtStatus::kValid);
}

TEST(Jwt, TimeClaimsThatAreNotNumbersAreInvalid) {
  const TestKey key = generate_ed25519();
  EXPECT_EQ(status_of(key.keys(), sign(key, R"({"exp":")" + at(3600) + R"("})")),
            JwtStatus::kInvalid);
  EXPECT_EQ(status_of(key.keys(), sign(key, R"({"nbf":"0"})")), JwtStatus::kInvalid);
  EXPECT_EQ(status_of(key.keys(), sign(key, R"({"exp":true})")), JwtStatus::kInvalid);
}

TEST(Jwt, AudienceIsNotAccepted) {
  const TestKey key = generate_ed25519();
  EXPECT_EQ(status_of(key.keys(), sign(key, R"({"aud":"someone"})")),
            JwtStatus::kAudienceNotAccepted);
  EXPECT_EQ(status_of(key.keys(), sign(key, R"({"aud":null})")), JwtStatus::kValid);
}

TEST(Jwt, TokenSignedByAnotherKeyIsInvalid) {
  const TestKey key = generate_ed25519();
  const TestKey other = generate_ed25519();
  EXPECT_EQ(status_of(key.keys(), sign(other, "{}")), JwtStatus::kInvalid);
}

TEST(Jwt, SecondOfTwoKeysVerifies) {
  const TestKey first = generate_ed25519();
  const TestKey second = generate_ed25519();
  const JwtKeys keys({first.raw, second.raw});
  EXPECT_EQ(status_of(keys, sign(second, "{}")), JwtStatus::kValid);
  EXPECT_EQ(status_of(keys, sign(first, "{}")), JwtStatus::kValid);
  EXPECT_EQ(status_of(keys, sign(second, R"({"exp":)" + at(-3600) + "}")), JwtStatus::kExpired)
      << "an expired token under the second key is expired, not invalid";
}

TEST(Jwt, NoKeysVerifyNothing) {
  const TestKey key = generate_ed25519();
  EXPECT_EQ(status_of(JwtKeys(), sign(key, "{}")), JwtStatus::kInvalid);
}

TEST(Jwt, TamperedPayloadIsInvalid) {
  const TestKey key = generate_ed25519();
  const std::string token = sign(key, R"({"a":"ro"})");
  const std::size_t first_dot = token.find('.');
  const std::size_t second_dot = token.find('.', first_dot + 1);
  const std::string tampered =
      token.substr(0, first_dot + 1) + base64url(R"({"a":"rw"})") + token.substr(second_dot);
  EXPECT_EQ(status_of(key.keys(), tampered), JwtStatus::kInvalid);
}

TEST(Jwt, TamperedSignatureIsInvalid) {
  const TestKey key = generate_ed25519();
  std::string token = sign(key, "{}");
  // Flip a middle digit: the last one also carries unused bits.
  char& digit = token[token.size() - 10];
  digit = digit == 'A' ? 'B' : 'A';
  EXPECT_EQ(status_of(key.keys(), token), JwtStatus::kInvalid);
}

TEST(Jwt, AlgNoneIsInvalid) {
  const TestKey key = generate_ed25519();
  const std::string unsigned_token = base64url(R"({"alg":"none"})") + "." + base64url("{}") + ".";
  EXPECT_EQ(status_of(key.keys(), unsigned_token), JwtStatus::kInvalid);
  EXPECT_EQ(status_of(key.keys(), sign(key, "{}", R"({"alg":"none"})")), JwtStatus::kInvalid)
      << "even with a valid Ed25519 signature";
}

TEST(Jwt, AlgHs256IsInvalid) {
  const TestKey key = generate_ed25519();
  // The classic confusion: an HMAC keyed with the public key's bytes.
  const std::string signed_text =
      base64url(R"({"alg":"HS256","typ":"JWT"})") + "." + base64url("{}");
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int mac_length = 0;
  ASSERT_NE(HMAC(EVP_sha256(), key.raw.data(), static_cast<int>(key.raw.size()),
                 reinterpret_cast<const unsigned char*>(signed_text.data()), signed_text.size(),
                 mac, &mac_length),
            nullptr);
  const std::string token =
      signed_text + "." + base64url(std::string(reinterpret_cast<char*>(mac), mac_length));
  EXPECT_EQ(status_of(key.keys(), token), JwtStatus::kInvalid);
}

TEST(Jwt, MissingOrOtherAlgIsInvalid) {
  const TestKey key = generate_ed25519();
  EXPECT_EQ(status_of(key.keys(), sign(key, "{}", R"({"typ":"JWT"})")), JwtStatus::kInvalid);
  EXPECT_EQ(status_of(key.keys(), sign(key, "{}", R"({"alg":"eddsa"})")), JwtStatus::kInvalid);
  EXPECT_EQ(status_of(key.keys(), sign(key, "{}", R"({"alg":"ES256"})")), JwtStatus::kInvalid);
  EXPECT_EQ(status_of(key.keys(), sign(key, "{}", R"({"alg":null})")), JwtStatus::kInvalid);
  EXPECT_EQ(status_of(key.keys(), sign(key, "{}", R"(["EdDSA"])")), JwtStatus::kInvalid);
}

TEST(Jwt, WrongNumberOfPartsIsInvalid) {
  const TestKey key = generate_ed25519();
  const std::string token = sign(key, "{}");
  const std::string two_parts = token.substr(0, token.rfind('.'));
  EXPECT_EQ(status_of(key.keys(), two_parts), JwtStatus::kInvalid);
  EXPECT_EQ(status_of(key.keys(), token + "." + base64url("x")), JwtStatus::kInvalid);
  EXPECT_EQ(status_of(key.keys(), ""), JwtStatus::kInvalid);
  EXPECT_EQ(status_of(key.keys(), "abc"), JwtStatus::kInvalid);
}

TEST(Jwt, BadBase64IsInvalid) {
  const TestKey key = generate_ed25519();
  const std::string token = sign(key, "{}");
  std::string bad_char = token;
  bad_char[token.find('.') + 1] = '+';
  EXPECT_EQ(status_of(key.keys(), bad_char), JwtStatus::kInvalid);
  std::string space = token;
  space.insert(token.find('.') + 1, " ");
  EXPECT_EQ(status_of(key.keys(), space), JwtStatus::kInvalid);
}

TEST(Jwt, PaddingIsInvalid) {
  const TestKey key = generate_ed25519();
  // "{}" is 2 bytes: 3 digits, padded to 4 with one '='; the signed text includes it.
  const std::string header = base64url(R"({"alg":"EdDSA"})");
  const std::string signed_text = header + "." + base64url("{}") + "=";
  const std::string token =
      signed_text + "." + base64url(ed25519_signature(key.key.get(), signed_text));
  EXPECT_EQ(status_of(key.keys(), token), JwtStatus::kInvalid);
  EXPECT_EQ(status_of(key.keys(), sign(key, "{}") + "=="), JwtStatus::kInvalid);
}

TEST(Jwt, PayloadThatIsNotAJsonObjectIsInvalid) {
  const TestKey key = generate_ed25519();
  EXPECT_EQ(status_of(key.keys(), sign(key, "not json")), JwtStatus::kInvalid);
  EXPECT_EQ(status_of(key.keys(), sign(key, R"([{"a":"rw"}])")), JwtStatus::kInvalid);
  EXPECT_EQ(status_of(key.keys(), sign(key, "42")), JwtStatus::kInvalid);
  EXPECT_EQ(status_of(key.keys(), sign(key, "{\"a\":\"\xff\"}")), JwtStatus::kInvalid)
      << "invalid UTF-8";
}

TEST(JwtKeys, RawKeyIsUrlSafeBase64WithoutPadding) {
  const TestKey key = generate_ed25519();
  const std::string text = base64url(std::string(key.raw.begin(), key.raw.end()));
  const JwtKeys keys = parse_jwt_keys(text);
  ASSERT_EQ(keys.size(), 1u);
  EXPECT_EQ(keys.keys()[0], key.raw);
  EXPECT_EQ(status_of(keys, sign(key, "{}")), JwtStatus::kValid);
}

TEST(JwtKeys, RawKeyMayHaveSurroundingWhitespace) {
  const TestKey key = generate_ed25519();
  const std::string text = base64url(std::string(key.raw.begin(), key.raw.end()));
  EXPECT_EQ(parse_jwt_keys(text + "\n").keys()[0], key.raw) << "a file's trailing newline";
  EXPECT_EQ(parse_jwt_keys("  " + text + "\r\n").keys()[0], key.raw);
}

void expect_key_error(const std::string& text, const std::string& expected_part) {
  try {
    parse_jwt_keys(text);
    ADD_FAILURE() << "accepted: " << text;
  } catch (const std::invalid_argument& error) {
    EXPECT_NE(std::string(error.what()).find(expected_part), std::string::npos)
        << "message `" << error.what() << "` lacks `" << expected_part << "`";
  }
}

TEST(JwtKeys, BadRawKeysAreRefusedWithTheReason) {
  const TestKey key = generate_ed25519();
  const std::string raw(key.raw.begin(), key.raw.end());
  expect_key_error(base64url(raw) + "=", "padding");
  expect_key_error(base64url(raw.substr(0, 31)), "decodes to 31");
  expect_key_error(base64url(raw + "x"), "decodes to 33");
  expect_key_error("ab+/cd", "standard base64");
  expect_key_error("not base64 at all!", "URL-safe base64");
  expect_key_error("", "empty");
  expect_key_error(" \n", "empty");
}

TEST(JwtKeys, PemWithSeveralPublicKeysGivesThemInOrder) {
  const TestKey first = generate_ed25519();
  const TestKey second = generate_ed25519();
  const TestKey third = generate_ed25519();
  const std::string text = public_pem(first.key.get()) + public_pem(second.key.get()) + "\n" +
                           public_pem(third.key.get()) + "\n";
  const JwtKeys keys = parse_jwt_keys(text);
  ASSERT_EQ(keys.size(), 3u);
  EXPECT_EQ(keys.keys()[0], first.raw);
  EXPECT_EQ(keys.keys()[1], second.raw);
  EXPECT_EQ(keys.keys()[2], third.raw);
  EXPECT_EQ(status_of(keys, sign(third, "{}")), JwtStatus::kValid);
}

TEST(JwtKeys, PemPrivateKeyIsRefused) {
  const TestKey key = generate_ed25519();
  expect_key_error(private_pem(key.key.get()), "private key");
  expect_key_error(public_pem(key.key.get()) + private_pem(key.key.get()),
                   "PEM block 2 is a private key");
}

TEST(JwtKeys, NonEd25519PublicKeysAreRefused) {
  const PkeyPtr rsa(EVP_RSA_gen(2048));
  ASSERT_TRUE(rsa) << "cannot generate an RSA key";
  expect_key_error(public_pem(rsa.get()), "RSA");
  const PkeyPtr ec(EVP_EC_gen("P-256"));
  ASSERT_TRUE(ec) << "cannot generate an EC key";
  expect_key_error(public_pem(ec.get()), "EC");
  const TestKey key = generate_ed25519();
  expect_key_error(public_pem(key.key.get()) + public_pem(ec.get()), "PEM block 2 holds");
}

TEST(JwtKeys, OtherPemBlocksAndBrokenPemAreRefused) {
  expect_key_error(
      "-----BEGIN CERTIFICATE-----\nMIIKLwIBAzCCCesGCSqGSIb3DQE\n-----END CERTIFICATE-----\n",
      "CERTIFICATE, but only PUBLIC KEY");
  const TestKey key = generate_ed25519();
  const std::string pem = public_pem(key.key.get());
  expect_key_error(pem.substr(0, pem.find("-----END")), "no `-----END PUBLIC KEY-----` line");
  expect_key_error(pem + "trailing words", "unexpected text");
  expect_key_error("-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n",
                   "not a valid public key");
}

TEST(JwtKeys, PemWithCrLfLinesIsRead) {
  const TestKey key = generate_ed25519();
  std::string pem;
  for (char c : public_pem(key.key.get())) {
    if (c == '\n') pem += '\r';
    pem += c;
  }
  const JwtKeys keys = parse_jwt_keys(pem);
  ASSERT_EQ(keys.size(), 1u);
  EXPECT_EQ(keys.keys()[0], key.raw);
}

}  // namespace
}  // namespace libsql::server
