// Checks run after every fuzz case. Each returns a list of broken invariants (empty when all
// hold) instead of throwing, so one case can report everything it broke at once.

import { api } from "../helpers.ts";
import { POLLUTION_CANARY } from "./hostile.ts";

/** The built-in prototypes a pollution would land on: every one a JSON value, a parsed body or
 * the server's own bookkeeping (dates, maps, sets, promises, errors, bytes) inherits from. The
 * test isolate, the Worker and its Durable Objects share one isolate under
 * @cloudflare/vitest-plugin, so a key the server plants on Object.prototype is visible here. */
const PROTOTYPES = {
  "Object.prototype": Object.prototype,
  "Array.prototype": Array.prototype,
  "Function.prototype": Function.prototype,
  "String.prototype": String.prototype,
  "Number.prototype": Number.prototype,
  "Boolean.prototype": Boolean.prototype,
  "Date.prototype": Date.prototype,
  "RegExp.prototype": RegExp.prototype,
  "Error.prototype": Error.prototype,
  "Promise.prototype": Promise.prototype,
  "Map.prototype": Map.prototype,
  "Set.prototype": Set.prototype,
  "Uint8Array.prototype": Uint8Array.prototype,
  "TypedArray.prototype": Object.getPrototypeOf(Uint8Array.prototype) as object,
} as const;

type Descriptors = Map<PropertyKey, PropertyDescriptor>;

function descriptorsOf(target: object): Descriptors {
  return new Map(
    Reflect.ownKeys(target).map((key) => [
      key,
      Object.getOwnPropertyDescriptor(target, key) as PropertyDescriptor,
    ]),
  );
}

const sameDescriptor = (a: PropertyDescriptor, b: PropertyDescriptor) =>
  a.value === b.value &&
  a.get === b.get &&
  a.set === b.set &&
  a.writable === b.writable &&
  a.enumerable === b.enumerable &&
  a.configurable === b.configurable;

/**
 * Remembers the built-in prototypes as they were when created; `check()` reports any key added,
 * changed or removed since, and puts the prototypes back so the next case (and fast-check's
 * shrinking) starts clean and a pollution cannot break the test runner itself.
 */
export class PrototypeGuard {
  private readonly baseline = new Map<string, Descriptors>();

  constructor() {
    for (const [name, target] of Object.entries(PROTOTYPES)) {
      this.baseline.set(name, descriptorsOf(target));
    }
  }

  check(): string[] {
    const broken: string[] = [];
    // The canaries by their plain use, as application code would meet a polluted `{}`.
    const probe = {} as Record<string, unknown>;
    const list = [] as unknown as Record<string, unknown>;
    for (const key of [POLLUTION_CANARY, "isAdmin", "role"]) {
      if (probe[key] !== undefined) broken.push(`({}).${key} is ${preview(probe[key])}`);
      if (list[key] !== undefined) broken.push(`[].${key} is ${preview(list[key])}`);
    }
    for (const [name, target] of Object.entries(PROTOTYPES)) {
      broken.push(...this.restore(name, target));
    }
    return broken;
  }

  private restore(name: string, target: object): string[] {
    const before = this.baseline.get(name) as Descriptors;
    const now = descriptorsOf(target);
    const broken: string[] = [];
    for (const [key, descriptor] of now) {
      const original = before.get(key);
      if (!original) {
        broken.push(`${name} gained own key ${String(key)} = ${preview(descriptor.value)}`);
        Reflect.deleteProperty(target, key);
      } else if (!sameDescriptor(original, descriptor)) {
        broken.push(`${name}.${String(key)} was replaced by ${preview(descriptor.value)}`);
        Object.defineProperty(target, key, original);
      }
    }
    for (const [key, original] of before) {
      if (!now.has(key)) {
        broken.push(`${name} lost own key ${String(key)}`);
        Object.defineProperty(target, key, original);
      }
    }
    return broken;
  }
}

/** A short, safe rendering of a value for a failure message. */
export function preview(value: unknown, max = 300): string {
  let text: string;
  try {
    text = typeof value === "string" ? value : (JSON.stringify(value) ?? String(value));
  } catch {
    text = Object.prototype.toString.call(value);
  }
  return text.length > max ? `${text.slice(0, max)}… (${text.length} chars)` : text;
}

/** `GET /health` must answer 200 `{ status: "ok" }` after every case. */
export async function healthBroken(): Promise<string[]> {
  const response = await api("/health");
  const text = await response.text();
  if (response.status !== 200) return [`GET /health answered ${response.status}: ${preview(text)}`];
  return /"status":"ok"/.test(text) ? [] : [`GET /health answered ${preview(text)}`];
}

export interface ErrorShapeOptions {
  /** The compatibility routes keep their seed's documented error bodies: JSON with a string
   * `reason` (seed 004's /registry, docs/architecture.md "Registry compatibility") or `error`
   * (seed 001's 402 insufficient_ai_time on /v1/billing). */
  readonly legacyErrorBodies?: boolean;
}

/** Status < 500, and every error is RFC 9457 problem+json carrying a string `code`. */
export function responseShapeBroken(
  status: number,
  contentType: string | null,
  text: string,
  options: ErrorShapeOptions = {},
): string[] {
  const broken: string[] = [];
  if (status >= 500) broken.push(`status ${status} (a server error)`);
  if (status < 400) return broken;
  const body = parseJson(text);
  const problemJson = contentType?.startsWith("application/problem+json") ?? false;
  if (problemJson && typeof body?.code === "string") return broken;
  const legacy =
    options.legacyErrorBodies &&
    contentType?.startsWith("application/json") &&
    (typeof body?.reason === "string" || typeof body?.error === "string");
  if (!legacy) {
    broken.push(
      `error ${status} is not problem+json with a string code (content-type ${contentType}, body ${preview(text)})`,
    );
  }
  return broken;
}

export function parseJson(text: string): Record<string, unknown> | undefined {
  try {
    const value = JSON.parse(text);
    return value !== null && typeof value === "object" ? value : undefined;
  } catch {
    return undefined;
  }
}
