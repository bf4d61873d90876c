// API keys of a creation (seed 003): `sk_live_` / `sk_test_` secret keys for its servers,
// `pk_live_` / `pk_test_` publishable keys for its pages. A key carries what routing needs, so
// it is looked up by id in its creation's actor, never by a scan:
//
//   <prefix> base64url( key id 9 | creation uuid 16 | scopes 4 | expires 4 | secret 16 | tag 16 )
//
// The tag (HMAC-SHA256 with TOKEN_SECRET, cut to 16 bytes) lets the edge refuse a forged key
// without waking any actor, and check scopes and expiry on its own. The actor holds only the
// key's SHA-256 and compares it in constant time, so TOKEN_SECRET alone cannot mint a key that
// works: the random secret must match what was shown once.

import { base64url, fromBase64url, hmacSha256, sha256Hex, timingSafeEqual } from "./crypto.ts";
import { API_KEY_MAX_CHARS } from "./limits.ts";
import { type ApiKeyScope, scopesFromMask, scopesToMask } from "./schemas/api-key-scopes.ts";

export type ApiKeyKind = "secret" | "publishable";
export type ApiKeyMode = "live" | "test";

export const SECRET_KEY_PREFIXES = ["sk_live_", "sk_test_"] as const;
export const PUBLISHABLE_KEY_PREFIXES = ["pk_live_", "pk_test_"] as const;
/** The id a key is listed and managed by: `key_` and the 9 random bytes of its body. */
export const KEY_ID_PREFIX = "key_";

const KEY_ID_BYTES = 9;
const CREATION_BYTES = 16;
const SCOPES_BYTES = 4;
const EXPIRES_BYTES = 4;
const SECRET_BYTES = 16;
const TAG_BYTES = 16;
const SIGNED_BYTES = KEY_ID_BYTES + CREATION_BYTES + SCOPES_BYTES + EXPIRES_BYTES + SECRET_BYTES;
const BODY_BYTES = SIGNED_BYTES + TAG_BYTES;
/** How many characters of a key its listing shows (prefix and the start of its id). */
const VISIBLE_START_CHARS = 6;

/** What a genuine key says about itself. */
export interface KeyClaim {
  kind: ApiKeyKind;
  mode: ApiKeyMode;
  keyId: string;
  creationId: string;
  /** null: every scope. */
  scopes: ApiKeyScope[] | null;
  /** Unix ms, or null for a key that does not expire. */
  expiresAt: number | null;
  /** Hex SHA-256 of the whole key: what the creation's actor stores and compares. */
  hash: string;
}

export function prefixOf(kind: ApiKeyKind, mode: ApiKeyMode): string {
  return `${kind === "secret" ? "sk" : "pk"}_${mode}_`;
}

/** The kind and mode a text's prefix names, or null when it names no key. */
export function keyPrefix(text: string): { kind: ApiKeyKind; mode: ApiKeyMode } | null {
  const match = /^(sk|pk)_(live|test)_/.exec(text);
  if (!match) return null;
  return { kind: match[1] === "sk" ? "secret" : "publishable", mode: match[2] as ApiKeyMode };
}

const signedText = (prefix: string, signed: Uint8Array) => `key.v1.${prefix}${base64url(signed)}`;

async function tagOf(secret: string, prefix: string, signed: Uint8Array): Promise<Uint8Array> {
  return (await hmacSha256(secret, signedText(prefix, signed))).slice(0, TAG_BYTES);
}

function uuidBytes(uuid: string): Uint8Array {
  const hex = uuid.replace(/-/g, "");
  const bytes = new Uint8Array(CREATION_BYTES);
  for (let i = 0; i < CREATION_BYTES; i++)
    bytes[i] = Number.parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return bytes;
}

function uuidText(bytes: Uint8Array): string {
  let hex = "";
  for (const byte of bytes) hex += byte.toString(16).padStart(2, "0");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

export interface MintedKey {
  key: string;
  claim: KeyClaim;
  /** What the listing shows of the key: its prefix and first characters. */
  start: string;
}

export async function mintApiKey(
  secret: string,
  spec: {
    kind: ApiKeyKind;
    mode: ApiKeyMode;
    creationId: string;
    scopes: readonly ApiKeyScope[] | null;
    expiresAt: number | null;
  },
): Promise<MintedKey> {
  const prefix = prefixOf(spec.kind, spec.mode);
  const signed = new Uint8Array(SIGNED_BYTES);
  const view = new DataView(signed.buffer);
  let at = 0;
  signed.set(crypto.getRandomValues(new Uint8Array(KEY_ID_BYTES)), at);
  at += KEY_ID_BYTES;
  signed.set(uuidBytes(spec.creationId), at);
  at += CREATION_BYTES;
  view.setUint32(at, spec.scopes === null ? 0 : scopesToMask(spec.scopes));
  at += SCOPES_BYTES;
  view.setUint32(at, spec.expiresAt === null ? 0 : Math.ceil(spec.expiresAt / 1000));
  at += EXPIRES_BYTES;
  signed.set(crypto.getRandomValues(new Uint8Array(SECRET_BYTES)), at);
  const body = new Uint8Array(BODY_BYTES);
  body.set(signed);
  body.set(await tagOf(secret, prefix, signed), SIGNED_BYTES);
  const key = `${prefix}${base64url(body)}`;
  const claim = await readApiKey(secret, key);
  if (!claim) throw new Error("A freshly minted key must read back.");
  return { key, claim, start: key.slice(0, prefix.length + VISIBLE_START_CHARS) };
}

/**
 * What a key says, or null when it is not a key minted here (malformed, any prefix but the four,
 * a wrong tag). Cheap and stateless: no actor is asked. Revocation is the actor's to judge.
 */
export async function readApiKey(secret: string, key: string): Promise<KeyClaim | null> {
  if (key.length > API_KEY_MAX_CHARS) return null;
  const kindAndMode = keyPrefix(key);
  if (!kindAndMode) return null;
  const prefix = prefixOf(kindAndMode.kind, kindAndMode.mode);
  const body = fromBase64url(key.slice(prefix.length));
  if (!body || body.length !== BODY_BYTES) return null;
  const signed = body.subarray(0, SIGNED_BYTES);
  // The digest is only needed for a genuine key, but both are cheap and need not wait in turn.
  const [expected, hash] = await Promise.all([tagOf(secret, prefix, signed), sha256Hex(key)]);
  if (!timingSafeEqual(expected, body.subarray(SIGNED_BYTES))) return null;
  const view = new DataView(body.buffer, body.byteOffset, body.byteLength);
  let at = KEY_ID_BYTES;
  const creationId = uuidText(body.subarray(at, at + CREATION_BYTES));
  at += CREATION_BYTES;
  const mask = view.getUint32(at);
  at += SCOPES_BYTES;
  const expiresSeconds = view.getUint32(at);
  return {
    ...kindAndMode,
    keyId: `${KEY_ID_PREFIX}${base64url(body.subarray(0, KEY_ID_BYTES))}`,
    creationId,
    scopes: mask === 0 ? null : scopesFromMask(mask),
    expiresAt: expiresSeconds === 0 ? null : expiresSeconds * 1000,
    hash,
  };
}
