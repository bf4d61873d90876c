// Purchase receipts (seed 000): a compact JWS signed with Ed25519 (jose), so a creation can
// verify one offline against the key set at /.well-known/jwks.json, or ask
// /v1/purchase-receipts/verify. Keys come from RECEIPT_SIGNING_KEY, a keyring of 32-byte
// Ed25519 seeds (`kid:<base64>`, newest first): the first signs, every listed one is published
// and verifies, so a key is rotated by putting a new one in front and dropping the old one once
// the receipts it signed no longer matter.

import { createLocalJWKSet, type JSONWebKeySet, type JWK, jwtVerify, SignJWT } from "jose";
import * as v from "valibot";
import { fromHex } from "./crypto.ts";
import { type ReceiptPayload, ReceiptPayloadSchema } from "./schemas/commerce.ts";
import { parseKeyring } from "./secret-box.ts";

/** Who signs receipts: the `iss` of each, required when verifying. */
export const RECEIPT_ISSUER = "troupe";
const ALGORITHM = "EdDSA";
/** The fixed DER prefix of a PKCS#8 Ed25519 private key; the 32-byte seed follows it. */
const PKCS8_ED25519_PREFIX = fromHex("302e020100300506032b657004220420") as Uint8Array;

interface SigningKeys {
  kid: string;
  signing: CryptoKey;
  published: JSONWebKeySet;
}

/** Imported key sets by the secret's text (it changes only on deploy). */
const keySets = new Map<string, SigningKeys>();
const KEY_SETS_CACHE_MAX = 8;

async function signingKeys(secret: string | undefined): Promise<SigningKeys> {
  const cached = keySets.get(secret ?? "");
  if (cached) return cached;
  const entries = parseKeyring(secret, "RECEIPT_SIGNING_KEY");
  const keys: JWK[] = [];
  let signing: CryptoKey | null = null;
  for (const { kid, raw } of entries) {
    const pkcs8 = new Uint8Array([...PKCS8_ED25519_PREFIX, ...raw]);
    const key = await crypto.subtle.importKey("pkcs8", pkcs8, { name: "Ed25519" }, true, ["sign"]);
    const { kty, crv, x } = (await crypto.subtle.exportKey("jwk", key)) as JsonWebKey;
    keys.push({ kty, crv, x, kid, alg: ALGORITHM, use: "sig" });
    signing ??= key;
  }
  const set = { kid: entries[0]?.kid ?? "", signing: signing as CryptoKey, published: { keys } };
  if (keySets.size >= KEY_SETS_CACHE_MAX) keySets.clear();
  keySets.set(secret ?? "", set);
  return set;
}

/** The public keys receipts are verified with (served at /.well-known/jwks.json). */
export async function receiptKeySet(env: Env): Promise<JSONWebKeySet> {
  return (await signingKeys(env.RECEIPT_SIGNING_KEY)).published;
}

/** A receipt for a purchase. Ed25519 is deterministic, so one purchase always gets one receipt. */
export async function signReceipt(env: Env, payload: ReceiptPayload): Promise<string> {
  const { kid, signing } = await signingKeys(env.RECEIPT_SIGNING_KEY);
  return new SignJWT({ ...payload })
    .setProtectedHeader({ alg: ALGORITHM, kid, typ: "JWT" })
    .setIssuer(RECEIPT_ISSUER)
    .setIssuedAt(Math.floor(Date.parse(payload.purchased_at) / 1000))
    .sign(signing);
}

/** The payload of a receipt signed with one of the published keys, or null for anything else
 *  (tampered, signed elsewhere, malformed, another algorithm). */
export async function verifyReceipt(env: Env, token: string): Promise<ReceiptPayload | null> {
  const { published } = await signingKeys(env.RECEIPT_SIGNING_KEY);
  try {
    const { payload } = await jwtVerify(token, createLocalJWKSet(published), {
      algorithms: [ALGORITHM],
      issuer: RECEIPT_ISSUER,
    });
    const parsed = v.safeParse(ReceiptPayloadSchema, payload);
    return parsed.success ? receiptPayloadOf(parsed.output) : null;
  } catch {
    return null;
  }
}

/** Exactly the receipt's members, in their order (a JWT also carries iss and iat). */
function receiptPayloadOf(payload: ReceiptPayload): ReceiptPayload {
  const { user_id, creation_id, transaction_id, sku, amount, purchased_at } = payload;
  return { user_id, creation_id, transaction_id, sku, amount, purchased_at };
}
