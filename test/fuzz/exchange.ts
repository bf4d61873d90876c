// One case of the edge-input suites (headers, signed calls, webhooks, the registry import, dev
// sign-in): every request it sends, every answer, and what broke. Each answer gets the checks
// every fuzz answer gets (prototypes untouched, no 5xx, errors as problem+json with a code);
// the property adds its own with `expect`, and `finish()` throws one report of all of it.
// Also what those suites share: sending copies of a request, and one test per property.

import * as fc from "fast-check";
import { describe, it } from "vitest";
import { api } from "../helpers.ts";
import {
  healthBroken,
  type PrototypeGuard,
  parseJson,
  preview,
  responseShapeBroken,
} from "./invariants.ts";
import { type PropertyBudget, type Suite, suiteBudget } from "./settings.ts";

/** The value an arbitrary generates: one case. */
export type CaseOf<A> = A extends fc.Arbitrary<infer T> ? T : never;

/** How a case reaches the Worker: `api()` (the real entry), or an app built with other vars. */
export type Fetcher = (target: string, init: RequestInit) => Promise<Response>;

export interface Answer {
  readonly status: number;
  readonly headers: Headers;
  readonly text: string;
  /** The body when it is a JSON object or array. */
  readonly json: Record<string, unknown> | undefined;
}

export class CaseReport {
  private readonly trace: string[] = [];
  private readonly broken: string[] = [];

  constructor(private readonly guard: PrototypeGuard) {}

  /** Sends one request, reads its answer and checks what every answer must hold. */
  async send(what: string, target: string, init: RequestInit, fetcher: Fetcher = api) {
    const response = await fetcher(target, init);
    const text = await response.text();
    // First, before any other request: a polluted prototype breaks the server's own parsing.
    this.broken.push(...this.guard.check());
    const answer: Answer = {
      status: response.status,
      headers: response.headers,
      text,
      json: parseJson(text),
    };
    this.trace.push(
      `${what}: ${init.method ?? "GET"} ${preview(target, 160)}` +
        (typeof init.body === "string" ? ` with body ${preview(init.body, 300)}` : "") +
        ` → ${answer.status} ${preview(text, 300)}`,
    );
    this.broken.push(
      ...responseShapeBroken(response.status, response.headers.get("content-type"), text),
    );
    return answer;
  }

  /** Notes a line of context (a header sent, a balance read) for the report. */
  note(line: string): void {
    this.trace.push(line);
  }

  expect(holds: boolean, broken: string): void {
    if (!holds) this.broken.push(broken);
  }

  /** Checks GET /health, then throws the whole case if anything broke. */
  async finish(): Promise<void> {
    this.broken.push(...(await healthBroken()));
    if (this.broken.length === 0) return;
    throw new Error([...this.trace, ...this.broken.map((line) => `  ✗ ${line}`)].join("\n"));
  }
}

/** The `code` of a problem answer, if it is one. */
export const codeOf = (answer: Answer) =>
  typeof answer.json?.code === "string" ? answer.json.code : undefined;

/** Whether an answer is a refusal (4xx). */
export const refused = (answer: Answer) => answer.status >= 400 && answer.status < 500;

let counter = 0;
/** A value no earlier case used (ids, references, names): `${prefix}${n}`. */
export const fresh = (prefix: string) => `${prefix}${++counter}`;

/** Sends `count` copies of one thing (a retry, a redelivery, a flood), one after another or
 * all at once, and returns their answers in order. */
export async function sendCopies<T>(
  count: number,
  concurrent: boolean,
  send: (index: number) => Promise<T>,
): Promise<T[]> {
  const indexes = Array.from({ length: count }, (_, index) => index);
  if (concurrent) return Promise.all(indexes.map(send));
  const answers: T[] = [];
  for (const index of indexes) answers.push(await send(index));
  return answers;
}

/** One test per property under `title`, sharing the suite's budget. A case sends at most
 * `requestsPerCase` requests, which sizes the timeout. Returns the budget, for a summary. */
export function fuzzProperties(
  suite: Suite,
  title: string,
  properties: Record<string, fc.IAsyncProperty<[unknown, ...unknown[]]>>,
  requestsPerCase: number,
): PropertyBudget {
  const budget = suiteBudget(suite, Object.keys(properties).length);
  describe(title, () => {
    for (const [name, property] of Object.entries(properties)) {
      it(
        name,
        async () => {
          await fc.assert(property, budget.parameters());
        },
        budget.timeout(budget.runs * requestsPerCase),
      );
    }
  });
  return budget;
}
