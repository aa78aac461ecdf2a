// jwt.mjs: Ed25519 key pairs and JWTs as sqld's --auth-jwt-key-file and SQLD_AUTH_JWT_KEY
// take them, made here so no fixture is checked in. Holds no test cases.

import { generateKeyPairSync, sign as cryptoSign, createHmac } from "node:crypto";

// An Ed25519 key pair; `raw` is the public key's 32 bytes in base64url without padding, the
// raw form sqld reads (a JWK's `x` is exactly that).
export function makeKeyPair() {
  const { publicKey, privateKey } = generateKeyPairSync("ed25519");
  return {
    privateKey,
    pem: publicKey.export({ type: "spki", format: "pem" }),
    raw: publicKey.export({ format: "jwk" }).x,
  };
}

export const b64url = (data) => Buffer.from(data).toString("base64url");
export const nowS = () => Math.floor(Date.now() / 1000);

// A JWT over `claims`. EdDSA by default; `alg: "none"` leaves the signature empty; `alg:
// "HS256"` is an HMAC-SHA256 over `hmacSecret` (the algorithm-confusion attack).
export function signJwt(claims, { privateKey, header = { alg: "EdDSA", typ: "JWT" }, hmacSecret } = {}) {
  const signingInput = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(claims))}`;
  let signature = "";
  if (header.alg === "EdDSA") signature = b64url(cryptoSign(null, Buffer.from(signingInput), privateKey));
  if (header.alg === "HS256") signature = createHmac("sha256", hmacSecret).update(signingInput).digest("base64url");
  return `${signingInput}.${signature}`;
}
