// Small WebCrypto helpers shared by the Worker, the actors and the Node scripts.

const encoder = new TextEncoder();

export function toHex(bytes: ArrayBuffer | Uint8Array): string {
  const view = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes);
  let hex = "";
  for (const byte of view) hex += byte.toString(16).padStart(2, "0");
  return hex;
}

/** Parses lower- or upper-case hex; returns null for anything else, so callers fail closed. */
export function fromHex(hex: string): Uint8Array | null {
  if (hex.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(hex)) return null;
  const bytes = new Uint8Array(hex.length / 2);
  for (let i = 0; i < bytes.length; i++)
    bytes[i] = Number.parseInt(hex.slice(i * 2, i * 2 + 2), 16);
  return bytes;
}

export function base64url(bytes: Uint8Array): string {
  return btoa(String.fromCharCode(...bytes))
    .replace(/\+/g, "-")
    .replace(/\//g, "_")
    .replace(/=+$/, "");
}

/** Parses unpadded base64url; null for anything else, including a non-canonical spelling
 *  (unused low bits set in the last character), so one token never has four spellings. */
export function fromBase64url(text: string): Uint8Array | null {
  // A length of 1 mod 4 cannot come from any bytes (atob would throw on it).
  if (!/^[A-Za-z0-9_-]+$/.test(text) || text.length % 4 === 1) return null;
  const binary = atob(text.replace(/-/g, "+").replace(/_/g, "/"));
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return base64url(bytes) === text ? bytes : null;
}

/** Imported keys by secret. The Worker verifies a token or signature on every request with
 *  one of a few secrets (TOKEN_SECRET, SERVICE_SECRETS); importing costs more than the HMAC.
 *  The keys themselves are kept, never a promise of one: a promise must not outlive the
 *  request that made it. */
const hmacKeys = new Map<string, CryptoKey>();
/** Enough for the Worker's own secrets; per-creation webhook secrets just cycle through. */
const HMAC_KEY_CACHE_MAX = 32;

export async function importHmacKey(secret: string): Promise<CryptoKey> {
  const cached = hmacKeys.get(secret);
  if (cached) return cached;
  const key = await crypto.subtle.importKey(
    "raw",
    encoder.encode(secret),
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["sign", "verify"],
  );
  if (hmacKeys.size >= HMAC_KEY_CACHE_MAX) hmacKeys.delete(hmacKeys.keys().next().value ?? "");
  hmacKeys.set(secret, key);
  return key;
}

export async function hmacSha256(secret: string, message: string): Promise<Uint8Array> {
  const key = await importHmacKey(secret);
  return new Uint8Array(await crypto.subtle.sign("HMAC", key, encoder.encode(message)));
}

/**
 * Checks an HMAC-SHA256 tag. WebCrypto's verify compares in constant time, so a caller
 * probing byte by byte learns nothing from the response time.
 */
export async function verifyHmacSha256(
  secret: string,
  message: string,
  tag: Uint8Array,
): Promise<boolean> {
  const key = await importHmacKey(secret);
  return crypto.subtle.verify("HMAC", key, tag as BufferSource, encoder.encode(message));
}

export async function sha256Hex(text: string): Promise<string> {
  return toHex(await crypto.subtle.digest("SHA-256", encoder.encode(text)));
}

/** Compares two byte strings in time that depends only on their length, never on where they
 *  differ; different lengths are unequal (and never throw, unlike some runtimes' versions). */
export function timingSafeEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let difference = 0;
  for (let i = 0; i < a.length; i++) difference |= (a[i] as number) ^ (b[i] as number);
  return difference === 0;
}

/** timingSafeEqual for two texts such as hex digests (as stored), without decoding them: it
 *  runs on every request a key makes. Different lengths are unequal. */
export function timingSafeEqualText(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let difference = 0;
  for (let i = 0; i < a.length; i++) difference |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return difference === 0;
}
