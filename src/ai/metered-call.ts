// A metered one-shot call to the platform's model, paid by a creation's wallet (the LLM tools).
// Before the provider is called, a hold reserves the worst case (the prompt estimate and the
// most output allowed); the call then settles exactly once: capture min(charge, hold), or
// release when nothing is charged. Every wallet change carries an idempotency key derived from
// the call's id, so a retried settlement never charges twice, and a hold that is never settled
// (the isolate died) returns to the wallet when its TTL ends.

import { actorByName, refusalOf } from "../actors/refusal.ts";
import { creationAccount } from "../actors/wallet/account.ts";
import { LLM_TOOL_CALL_MAX_MS, LLM_TOOL_SETTLE_ATTEMPTS_MAX } from "../shared/limits.ts";
import type { ServicePrincipal } from "../shared/schemas/principal.ts";
import { aiRates, chargeFor, estimateTokens, type TokenUsage } from "./pricing.ts";

/** The platform metering its own tools: it acts on the creation's wallet as the platform. */
export const PLATFORM_PRINCIPAL: ServicePrincipal = {
  type: "service",
  id: "platform",
  secret_index: 0,
};

/** How long a hold outlives the longest call, so settling never finds it expired. */
const HOLD_MARGIN_SECONDS = 10 * 60;

/** What the provider reported; a count it left out is estimated. */
export interface ReportedUsage {
  input: number | undefined;
  output: number | undefined;
}

export interface Settlement {
  usage: TokenUsage;
  /** Credits the wallet kept: 0 when nothing was charged or the wallet could not be reached. */
  charged: number;
}

export interface MeteredCallSpec {
  creationId: string;
  model: string;
  /** What the call is, for the wallet's descriptions, e.g. "chat.completions". */
  label: string;
  promptTokens: number;
  maxOutputTokens: number;
}

/** The most output one call may have: the request's wish, capped by AI_MAX_OUTPUT_TOKENS. */
export function maxOutputTokens(env: Env, requested: number | undefined): number {
  const configured = Number(env.AI_MAX_OUTPUT_TOKENS || "1024");
  const cap = Number.isInteger(configured) && configured > 0 ? configured : 1024;
  return requested === undefined ? cap : Math.min(requested, cap);
}

export class MeteredCall {
  private settled: Promise<Settlement> | null = null;

  private constructor(
    private readonly env: Env,
    private readonly spec: MeteredCallSpec,
    readonly id: string,
    readonly holdId: string,
    readonly holdAmount: number,
  ) {}

  /** Places the hold; a wallet that cannot pay answers its 402 and nothing else happens. */
  static async open(env: Env, spec: MeteredCallSpec): Promise<MeteredCall> {
    const id = `llm_${crypto.randomUUID()}`;
    const worst = chargeFor(
      { input_tokens: spec.promptTokens, output_tokens: spec.maxOutputTokens },
      aiRates(env),
    );
    const amount = Math.max(1, worst);
    const account = creationAccount(spec.creationId);
    const placed = await actorByName(env.WALLET, account).hold(
      account,
      PLATFORM_PRINCIPAL,
      {
        amount,
        type: "ai",
        description: `LLM tool ${spec.label} ${id} (${spec.model}), worst case`,
        ttl_seconds: Math.ceil(LLM_TOOL_CALL_MAX_MS / 1000) + HOLD_MARGIN_SECONDS,
      },
      `${id}:hold`,
    );
    return new MeteredCall(env, spec, id, placed.body.hold.id, amount);
  }

  /**
   * Ends the call: the reported usage (a missing count estimated from the prompt or `text`)
   * priced by the formula, at most the hold. A call that produced no text and reported no
   * usage (it failed, or its client left, before any output) is not charged. Only the first
   * settlement counts; later ones get its answer.
   */
  settle(reported: ReportedUsage | null, text: string): Promise<Settlement> {
    this.settled ??= this.settleOnce(usageOf(reported, text, this.spec.promptTokens));
    return this.settled;
  }

  private async settleOnce(usage: TokenUsage): Promise<Settlement> {
    const charge = Math.min(chargeFor(usage, aiRates(this.env)), this.holdAmount);
    const account = creationAccount(this.spec.creationId);
    const wallet = actorByName(this.env.WALLET, account);
    for (let attempt = 1; attempt <= LLM_TOOL_SETTLE_ATTEMPTS_MAX; attempt++) {
      try {
        if (charge > 0) {
          const description = `LLM tool ${this.spec.label} ${this.id} (${this.spec.model}), ${usage.input_tokens} input and ${usage.output_tokens} output tokens${usage.estimated ? " (estimated)" : ""}`;
          await wallet.capture(
            account,
            PLATFORM_PRINCIPAL,
            this.holdId,
            { amount: charge, description },
            `${this.id}:capture`,
          );
        } else {
          await wallet.release(account, PLATFORM_PRINCIPAL, this.holdId, `${this.id}:release`);
        }
        return { usage, charged: charge };
      } catch (error) {
        // A refusal (the hold expired) is final; a fault may pass, and retrying is harmless.
        if (refusalOf(error) || attempt === LLM_TOOL_SETTLE_ATTEMPTS_MAX) {
          logUnsettled(this.id, this.holdId, error);
          break;
        }
      }
    }
    return { usage, charged: 0 };
  }
}

function usageOf(reported: ReportedUsage | null, text: string, promptTokens: number): TokenUsage {
  if (reported === null && text === "") {
    return { input_tokens: 0, output_tokens: 0, estimated: true };
  }
  const input = reported?.input;
  const output = reported?.output;
  return {
    input_tokens: input ?? promptTokens,
    output_tokens: output ?? estimateTokens(text),
    estimated: input === undefined || output === undefined,
  };
}

function logUnsettled(callId: string, holdId: string, error: unknown): void {
  console.error(
    JSON.stringify({
      level: "error",
      event: "llm_tool_unsettled",
      call_id: callId,
      hold_id: holdId,
      message: error instanceof Error ? error.message : String(error),
    }),
  );
}
