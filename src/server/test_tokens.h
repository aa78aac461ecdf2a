// test_tokens.h: Ed25519 keys and JWTs made at test time with OpenSSL, for the tests of
// jwt.h and auth.h. Test code only: no production file includes it.
#pragma once

#include <openssl/evp.h>

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <string_view>

#include "server/jwt.h"

namespace libsql::server::testing {

struct PkeyFree {
  void operator()(EVP_PKEY* key) const { EVP_PKEY_free(key); }
};
using PkeyPtr = std::unique_ptr<EVP_PKEY, PkeyFree>;

// URL-safe base64 without padding, as JWTs use it.
inline std::string base64url(std::string_view bytes) {
  static constexpr char kDigits[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string out;
  std::uint32_t bits = 0;
  int count = 0;
  for (unsigned char byte : bytes) {
    bits = (bits << 8) | byte;
    count += 8;
    while (count >= 6) {
      count -= 6;
      out.push_back(kDigits[(bits >> count) & 63]);
    }
  }
  if (count > 0) out.push_back(kDigits[(bits << (6 - count)) & 63]);
  return out;
}

struct TestKey {
  PkeyPtr key;
  Ed25519PublicKey raw{};

  JwtKeys keys() const { return JwtKeys({raw}); }
};

inline TestKey generate_ed25519() {
  TestKey result;
  std::unique_ptr<EVP_PKEY_CTX, decltype(&EVP_PKEY_CTX_free)> ctx(
      EVP_PKEY_CTX_new_id(EVP_PKEY_ED25519, nullptr), EVP_PKEY_CTX_free);
  EVP_PKEY* key = nullptr;
  EXPECT_TRUE(ctx && EVP_PKEY_keygen_init(ctx.get()) == 1 && EVP_PKEY_keygen(ctx.get(), &key) == 1)
      << "cannot generate an Ed25519 key";
  result.key.reset(key);
  std::size_t length = result.raw.size();
  EXPECT_EQ(EVP_PKEY_get_raw_public_key(key, result.raw.data(), &length), 1);
  return result;
}

inline std::string ed25519_signature(EVP_PKEY* key, std::string_view text) {
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  std::string signature(64, '\0');
  std::size_t length = signature.size();
  EXPECT_TRUE(EVP_DigestSignInit(ctx.get(), nullptr, nullptr, nullptr, key) == 1 &&
              EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(signature.data()), &length,
                             reinterpret_cast<const unsigned char*>(text.data()), text.size()) == 1)
      << "cannot sign with Ed25519";
  signature.resize(length);
  return signature;
}

inline  // A compact JWS of `payload` signed with `key` under header `header`.
    std::string
    sign(const TestKey& key, std::string_view payload,
         std::string_view header = R"({"alg":"EdDSA","typ":"JWT"})") {
  const std::string signed_text = base64url(header) + "." + base64url(payload);
  return signed_text + "." + base64url(ed25519_signature(key.key.get(), signed_text));
}

}  // namespace libsql::server::testing
