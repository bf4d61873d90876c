// Sealing of the secrets vault's values: AES-256-GCM (WebCrypto) under a keyring read from the
// Worker secret SECRETS_ENCRYPTION_KEY, "kid:key,kid:key,…" newest first. The first key seals,
// every listed key opens, so a key is rotated by putting a new one in front and old ciphertexts
// stay readable for as long as their key stays listed. Each sealing gets a fresh 12-byte IV, and
// the owner and name are the additional data: a row copied to another name or owner fails to
// open instead of passing for that secret.

import { fromBase64url } from "./crypto.ts";
import { ApiError } from "./errors.ts";

/** What a sealed value is bound to: `user:<id>` or `creation:<id>`, and the secret's name. */
export interface SecretContext {
  owner: string;
  name: string;
}

/** What is stored: which key sealed it, the IV, and the ciphertext with its 16-byte tag. */
export interface SealedSecret {
  kid: string;
  iv: Uint8Array;
  ciphertext: Uint8Array;
}

interface Keyring {
  /** The newest key's id: it seals every new value. */
  current: string;
  keys: ReadonlyMap<string, CryptoKey>;
}

const KEY_ID = /^[A-Za-z0-9_-]{1,32}$/;
const KEY_BYTES = 32;
const IV_BYTES = 12;
/** Versioned, so a later format can never open (or be opened as) this one. */
const AAD_VERSION = "troupe.secret.v1";
const EXAMPLE = "k2:<32 random bytes in base64>,k1:<the previous key>";

/** A deployment has one keyring, two during a rotation; tests that vary it stay under this. */
const KEYRINGS_CACHE_MAX = 8;
/** Imported keyrings by their text. The keys themselves are kept, never a promise of them: a
 *  promise must not outlive the request that made it (see importHmacKey). */
const keyrings = new Map<string, Keyring>();

const encoder = new TextEncoder();
// ignoreBOM keeps a leading U+FEFF: the value comes back exactly as it was put.
const decoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

function misconfigured(problem: string, name: string): ApiError {
  return new ApiError(
    "SERVER_MISCONFIGURED",
    `${name} ${problem}; it looks like ${EXAMPLE} (make a key with: openssl rand -base64 32)`,
  );
}

/** base64 (padded or not) or base64url; null for anything else. */
function keyBytes(text: string): Uint8Array | null {
  const url = text.replace(/=+$/, "").replace(/\+/g, "-").replace(/\//g, "_");
  return fromBase64url(url);
}

/** The keyring's entries, newest first, or SERVER_MISCONFIGURED saying what is wrong. */
export function parseKeyring(
  text: string | undefined,
  name = "SECRETS_ENCRYPTION_KEY",
): { kid: string; raw: Uint8Array }[] {
  const entries = (text ?? "")
    .split(",")
    .map((entry) => entry.trim())
    .filter((entry) => entry.length > 0);
  if (entries.length === 0) throw misconfigured("is not set", name);
  const seen = new Set<string>();
  return entries.map((entry, index) => {
    const colon = entry.indexOf(":");
    const kid = colon < 0 ? "" : entry.slice(0, colon);
    if (!KEY_ID.test(kid)) {
      throw misconfigured(
        `entry ${index + 1} needs a key id of 1-32 of A-Z, a-z, 0-9, _ and -`,
        name,
      );
    }
    if (seen.has(kid)) throw misconfigured(`lists the key id "${kid}" twice`, name);
    seen.add(kid);
    const raw = keyBytes(entry.slice(colon + 1));
    if (raw?.length !== KEY_BYTES) {
      throw misconfigured(`key "${kid}" is not ${KEY_BYTES} bytes in base64 or base64url`, name);
    }
    return { kid, raw };
  });
}

async function keyringOf(text: string | undefined): Promise<Keyring> {
  const cached = keyrings.get(text ?? "");
  if (cached) return cached;
  const entries = parseKeyring(text);
  const keys = new Map<string, CryptoKey>();
  for (const { kid, raw } of entries) {
    const key = await crypto.subtle.importKey("raw", raw as BufferSource, "AES-GCM", false, [
      "encrypt",
      "decrypt",
    ]);
    keys.set(kid, key);
  }
  const keyring = { current: entries[0]?.kid ?? "", keys };
  if (keyrings.size >= KEYRINGS_CACHE_MAX) keyrings.delete(keyrings.keys().next().value ?? "");
  keyrings.set(text ?? "", keyring);
  return keyring;
}

function additionalData({ owner, name }: SecretContext): BufferSource {
  return encoder.encode(JSON.stringify([AAD_VERSION, owner, name]));
}

/** Seals `value` for `context` with the keyring's newest key. */
export async function sealSecret(
  keyringText: string | undefined,
  context: SecretContext,
  value: string,
): Promise<SealedSecret> {
  const keyring = await keyringOf(keyringText);
  const key = keyring.keys.get(keyring.current) as CryptoKey;
  const iv = crypto.getRandomValues(new Uint8Array(IV_BYTES));
  const ciphertext = await crypto.subtle.encrypt(
    { name: "AES-GCM", iv, additionalData: additionalData(context) },
    key,
    encoder.encode(value),
  );
  return { kid: keyring.current, iv, ciphertext: new Uint8Array(ciphertext) };
}

/**
 * The value sealed for `context`. A sealed value that does not open (its key was taken out of
 * the keyring, or the row was altered or copied from another name or owner) is
 * SECRET_UNREADABLE: never a wrong value, never null, so a caller cannot mistake it for "unset".
 */
export async function openSecret(
  keyringText: string | undefined,
  context: SecretContext,
  sealed: SealedSecret,
): Promise<string> {
  const keyring = await keyringOf(keyringText);
  const key = keyring.keys.get(sealed.kid);
  const unreadable = (why: string) =>
    new ApiError(
      "SECRET_UNREADABLE",
      `The secret ${context.name} cannot be decrypted: ${why}. Put it again to replace it.`,
      { name: context.name, kid: sealed.kid },
    );
  if (!key) throw unreadable(`its key "${sealed.kid}" is not in SECRETS_ENCRYPTION_KEY`);
  try {
    const plain = await crypto.subtle.decrypt(
      { name: "AES-GCM", iv: sealed.iv as BufferSource, additionalData: additionalData(context) },
      key,
      sealed.ciphertext as BufferSource,
    );
    return decoder.decode(plain);
  } catch {
    throw unreadable("it was not sealed for this owner and name, or it was altered");
  }
}
