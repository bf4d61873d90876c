// The dashboard's calls to troupe, as the signed-in owner: their creations, a creation's usage
// in a month and its tiers. Every answer is parsed with the wire schemas the server itself
// uses (src/shared/schemas/), so the page shows what the contract says or says why it cannot;
// every refusal becomes a Problem carrying troupe's code and detail.

import * as v from "valibot";
import { currentToken, signOut } from "../../examples/shared/sign-in.js";
import { CREATIONS_PAGE_MAX } from "../../src/shared/limits.ts";
import { CreationListSchema } from "../../src/shared/schemas/creation.ts";
import {
  TierListSchema,
  type UsageMode,
  UsageSummarySchema,
} from "../../src/shared/schemas/usage.ts";

/** Pages of creations read for the picker (CREATIONS_PAGE_MAX each, newest first). */
const CREATION_PAGES_MAX = 10;

export class Problem extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    detail: string,
  ) {
    super(detail);
  }
}

/** "CODE: detail", as the page shows a refusal. */
export function problemText(error: unknown): string {
  if (error instanceof Problem) return `${error.code}: ${error.message}`;
  return error instanceof Error ? error.message : String(error);
}

async function send(path: string): Promise<Response> {
  const token = await currentToken();
  return fetch(path, { headers: token ? { authorization: `Bearer ${token}` } : {} });
}

async function call<S extends v.GenericSchema>(path: string, schema: S): Promise<v.InferOutput<S>> {
  let response = await send(path);
  if (response.status === 401) {
    // The token expired or was refused: get a fresh one for the same user and try once more.
    signOut({ everything: false });
    response = await send(path);
  }
  const body: unknown = await response.json().catch(() => null);
  if (!response.ok) {
    const problem = v.safeParse(v.object({ code: v.string(), detail: v.string() }), body);
    throw problem.success
      ? new Problem(response.status, problem.output.code, problem.output.detail)
      : new Problem(response.status, `HTTP_${response.status}`, response.statusText);
  }
  const parsed = v.safeParse(schema, body);
  if (parsed.success) return parsed.output;
  const issue = parsed.issues[0];
  const where = issue ? v.getDotPath(issue) : null;
  throw new Problem(
    response.status,
    "UNEXPECTED_ANSWER",
    `The server's answer to ${path} does not match the schema${where ? ` at ${where}` : ""}: ${issue?.message ?? "unknown"}`,
  );
}

export type CreationItem = v.InferOutput<typeof CreationListSchema>["creations"][number];

/** The owner's creations, newest first; `more` when there were more than the picker reads. */
export async function listCreations(): Promise<{ creations: CreationItem[]; more: boolean }> {
  const creations: CreationItem[] = [];
  let cursor: string | null = null;
  for (let page = 0; page < CREATION_PAGES_MAX; page++) {
    const query = new URLSearchParams({ limit: String(CREATIONS_PAGE_MAX) });
    if (cursor) query.set("cursor", cursor);
    const answer = await call(`/v1/creations?${query}`, CreationListSchema);
    creations.push(...answer.creations);
    cursor = answer.next_cursor;
    if (!cursor) return { creations, more: false };
  }
  return { creations, more: true };
}

export interface UsageQuery {
  creationId: string;
  /** YYYY-MM, a UTC month. */
  period: string;
  mode: UsageMode;
  meter: string;
  /** Top users per page. */
  limit: number;
  cursor?: string | null;
}

const creationPath = (creationId: string) => `/v1/creations/${encodeURIComponent(creationId)}`;

export function usageSummary(query: UsageQuery) {
  const search = new URLSearchParams({
    period: query.period,
    mode: query.mode,
    meter: query.meter,
    limit: String(query.limit),
  });
  if (query.cursor) search.set("cursor", query.cursor);
  return call(`${creationPath(query.creationId)}/usage?${search}`, UsageSummarySchema);
}

export function tierList(creationId: string) {
  return call(`${creationPath(creationId)}/tiers`, TierListSchema);
}
