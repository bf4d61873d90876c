// A session's generations: started behind a wallet hold, streamed chunk by chunk into SQLite
// and to every reader, stopped on request, ended by a watchdog or after an eviction, and
// settled against the hold exactly once (the wallet's idempotency keys are the generation's).

import { streamText } from "ai";
import { languageModel } from "../../ai/models.ts";
import { aiRates, chargeFor } from "../../ai/pricing.ts";
import { clock } from "../../shared/clock.ts";
import { ApiError } from "../../shared/errors.ts";
import {
  CHAT_PROMPT_MAX_TOKENS,
  GENERATION_MAX_MS,
  SESSION_GENERATIONS_MAX,
} from "../../shared/limits.ts";
import type { StoredUIMessage, UserMessage } from "../../shared/schemas/chat.ts";
import type { Principal } from "../../shared/schemas/principal.ts";
import { actorByName } from "../refusal.ts";
import type { ScheduleRequest } from "../scheduler.ts";
import { creationAccount, userAccount } from "../wallet/account.ts";
import {
  closingChunks,
  type Ending,
  lastChunks,
  providerError,
  type ReportedUsage,
  statusOf,
  usageOf,
} from "./endings.ts";
import { GenerationLog } from "./event-log.ts";
import { assembleAssistant, type PromptMessage, promptFrom, textOf, titleOf } from "./messages.ts";
import { placeHold, Settlements } from "./payment.ts";
import {
  chosenModel,
  creationModelConfig,
  deploymentMaxOutputTokens,
  type Plan,
  worstCase,
} from "./plan.ts";
import type { SessionPrefs } from "./prefs.ts";
import type { GenerationRow } from "./schema.ts";
import type { SessionStore } from "./store.ts";
import type { Listeners, UIChunk } from "./stream.ts";

export interface GenerationsHost {
  env: Env;
  store: SessionStore;
  prefs: SessionPrefs;
  listeners: Listeners;
  identity(): { creationId: string; userId: string };
  schedule(request: ScheduleRequest): number;
  cancel(key: string): boolean;
  finalizeTask: string;
  settleTask: string;
  /** Every chunk of a chat's reply as it is stored, and the reply once it has ended. */
  onChunk(chatId: string, chunk: UIChunk): void;
  onReply(chatId: string, reply: StoredUIMessage): void;
}

interface Running {
  abort: AbortController;
  done: Promise<void>;
}

/** What a reader sees when the watchdog (GENERATION_MAX_MS) or a restart ended a reply. */
const WATCHDOG_ERROR = "The reply was cut off (time limit or restart); the partial reply is kept.";

const watchdogKey = (id: string) => `watchdog:${id}`;

export class Generations {
  private readonly running = new Map<string, Running>();
  private readonly log: GenerationLog;
  private readonly settlements: Settlements;

  constructor(private readonly host: GenerationsHost) {
    this.log = new GenerationLog(host);
    this.settlements = new Settlements(host);
  }

  isRunning(id: string): boolean {
    return this.running.has(id);
  }

  /** Claims the chat, holds the worst case on the payer's wallet, stores the user's message,
   *  and starts the provider; answers the stream a reader of this generation gets. */
  async start(
    chatId: string,
    message: UserMessage | null,
    caller: Principal,
  ): Promise<ReadableStream<Uint8Array>> {
    const generation = await this.begin(chatId, message, caller);
    return this.host.listeners.open(generation.id, this.host.store.events(generation.id));
  }

  /** Seed 000's send: the same generation, awaited to its end; answers the reply's text. */
  async complete(chatId: string, message: UserMessage, caller: Principal): Promise<string> {
    const generation = await this.begin(chatId, message, caller);
    await this.running.get(generation.id)?.done;
    const stored = this.host.store.message(chatId, generation.message_id);
    const row = this.host.store.generation(generation.id);
    if (row?.status === "failed") {
      throw new ApiError("GENERATION_FAILED", "The model failed before the reply was complete.");
    }
    return stored ? textOf(stored) : "";
  }

  private async begin(chatId: string, message: UserMessage | null, caller: Principal) {
    const { store } = this.host;
    const plan = await this.plan();
    store.requireRoomFor(chatId);
    if (message === null && !store.chat(chatId)) {
      throw new ApiError("CHAT_NOT_FOUND", "There is no reply to regenerate in this chat.");
    }
    const id = `gen_${crypto.randomUUID()}`;
    const messageId = `msg_${crypto.randomUUID()}`;
    this.claim(id, chatId, messageId, plan, clock.now());
    let holdId: string | null;
    let holdAmount: number;
    let prompt: PromptMessage[];
    try {
      // A regenerated reply answers the last user message again; nothing changes until the
      // hold is placed.
      const history =
        message === null
          ? store.historyToLastUserMessage(chatId)
          : [...store.history(chatId), message];
      const built = promptFrom(history, CHAT_PROMPT_MAX_TOKENS);
      prompt = built.messages;
      if (prompt.length === 0) throw new ApiError("INVALID_REQUEST", "There is nothing to answer.");
      // A creation's own key costs the platform nothing: no hold, a charge of 0.
      holdAmount = plan.config.ownKey
        ? 0
        : worstCase(this.host.env, built.tokens, plan.maxOutputTokens);
      holdId = plan.config.ownKey
        ? null
        : await placeHold(
            this.host.env,
            this.host.identity().creationId,
            { id, chatId },
            plan,
            holdAmount,
          );
    } catch (error) {
      // Nothing was accepted: the chat is free again and the history unchanged.
      this.host.store.dropClaim(id);
      throw error;
    }
    if (message === null) store.dropAfterLastUserMessage(chatId);
    this.accept(id, chatId, messageId, message, holdId, holdAmount, caller);
    const abort = new AbortController();
    const done = this.run(id, plan, prompt, abort.signal).finally(() => this.running.delete(id));
    this.running.set(id, { abort, done });
    return { id, message_id: messageId };
  }

  /** What the next generation runs with. The creation decides who pays and may change its
   *  settings any time, so they are asked per generation. */
  private async plan(): Promise<Plan> {
    const { creationId, userId } = this.host.identity();
    // Asked side by side: the settings, and the vault for a key of the creation's own.
    const [policy, config] = await Promise.all([
      actorByName(this.host.env.CREATION, creationId).aiPolicy(),
      creationModelConfig(this.host.env, creationId),
    ]);
    if (!policy) throw new ApiError("CREATION_NOT_FOUND", "No such creation.");
    return {
      config,
      model: chosenModel(config, this.host.prefs.stored().model, policy.ai.model),
      system: policy.ai.system_prompt,
      maxOutputTokens: policy.ai.max_output_tokens ?? deploymentMaxOutputTokens(this.host.env),
      payer: policy.ai.payer === "user" ? userAccount(userId) : creationAccount(creationId),
    };
  }

  /** One generation per chat (the unique index), SESSION_GENERATIONS_MAX per session. */
  private claim(id: string, chatId: string, messageId: string, plan: Plan, now: number): void {
    const { store } = this.host;
    if (store.activeGeneration(chatId)) {
      throw new ApiError(
        "GENERATION_IN_PROGRESS",
        "This chat is already generating a reply; wait for it or stop it.",
      );
    }
    if (store.inProgress().length >= SESSION_GENERATIONS_MAX) {
      throw new ApiError(
        "SESSION_BUSY",
        `A session runs at most ${SESSION_GENERATIONS_MAX} generations at once.`,
        { limit: SESSION_GENERATIONS_MAX },
      );
    }
    store.claimGeneration({
      id,
      chatId,
      messageId,
      model: plan.model,
      ownKey: plan.config.ownKey,
      payer: plan.payer,
      now,
    });
  }

  /** From here the generation is live: the user's message is history, `start` is streamed. */
  private accept(
    id: string,
    chatId: string,
    messageId: string,
    message: UserMessage | null,
    holdId: string | null,
    holdAmount: number,
    _caller: Principal,
  ): void {
    const { store } = this.host;
    const now = clock.now();
    store.touchChat(chatId, message ? titleOf(textOf(message)) : null, now);
    if (message) store.putMessage(chatId, message, now);
    store.markStreaming(id, holdId, holdAmount);
    this.log.begin(id, chatId);
    this.append(id, { type: "start", messageId });
    this.host.schedule({
      key: watchdogKey(id),
      task: this.host.finalizeTask,
      payload: { generation_id: id },
      at: now + GENERATION_MAX_MS,
    });
  }

  /** Streams the provider's reply into the store and to every reader, then ends it. */
  private async run(
    id: string,
    plan: Plan,
    prompt: PromptMessage[],
    signal: AbortSignal,
  ): Promise<void> {
    let usage: ReportedUsage = null;
    let finishReason: string | undefined;
    let ending: Ending = "finished";
    let errorText: string | null = null;
    try {
      const prefs = this.host.prefs.stored();
      const result = streamText({
        model: languageModel(plan.config, plan.model, this.host.env),
        ...(plan.system === null ? {} : { system: plan.system }),
        messages: prompt,
        maxOutputTokens: plan.maxOutputTokens,
        ...(prefs.temperature === null ? {} : { temperature: prefs.temperature }),
        abortSignal: signal,
        maxRetries: 0,
      });
      for await (const part of result.fullStream) {
        if (part.type === "text-delta") {
          this.append(id, { type: "text-delta", id: part.id, delta: part.text });
        } else if (part.type === "text-start" || part.type === "text-end") {
          this.append(id, { type: part.type, id: part.id });
        } else if (part.type === "start-step" || part.type === "finish-step") {
          this.append(id, { type: part.type });
        } else if (part.type === "finish") {
          usage = { input: part.totalUsage.inputTokens, output: part.totalUsage.outputTokens };
          finishReason = part.finishReason;
        } else if (part.type === "abort") {
          ending = "stopped";
        } else if (part.type === "error") {
          throw part.error;
        }
      }
    } catch (error) {
      if (!signal.aborted) {
        ending = "failed";
        errorText = providerError(error);
      }
    }
    // An abort may end the stream quietly or by throwing: either way it says why.
    if (signal.aborted) ending = signal.reason === "watchdog" ? "interrupted" : "stopped";
    if (ending === "interrupted") errorText = WATCHDOG_ERROR;
    await this.end(id, ending, { usage, finishReason, errorText });
  }

  /** Asks a running generation to stop and waits until it has ended; ends an orphan here. */
  async stop(id: string): Promise<void> {
    const running = this.running.get(id);
    if (running) {
      running.abort.abort("stop");
      await running.done;
      return;
    }
    await this.finalize(id, "stopped");
  }

  /** Ends a generation no instance is running (evicted, restarted, or past the watchdog). */
  async finalize(id: string, ending: Ending): Promise<void> {
    const running = this.running.get(id);
    if (running) {
      running.abort.abort("watchdog");
      await running.done;
      return;
    }
    const row = this.host.store.generation(id);
    if (!row || row.ended_at !== null) return;
    if (row.status === "holding") {
      // The hold may or may not have been placed: release by its key, then forget the claim.
      this.host.store.dropClaim(id);
      return;
    }
    this.log.begin(id, row.chat_id);
    await this.end(id, ending, {
      usage: null,
      finishReason: undefined,
      errorText: ending === "interrupted" ? WATCHDOG_ERROR : null,
    });
  }

  /** Every generation a fresh instance finds in progress is an orphan: end it soon. */
  adoptOrphans(): void {
    for (const row of this.host.store.inProgress()) {
      this.host.schedule({
        key: watchdogKey(row.id),
        task: this.host.finalizeTask,
        payload: { generation_id: row.id },
        at: clock.now(),
      });
    }
  }

  /** Settles the hold, streams the last chunks, stores the reply and frees the chat. */
  private async end(
    id: string,
    ending: Ending,
    result: {
      usage: ReportedUsage;
      finishReason: string | undefined;
      errorText: string | null;
    },
  ): Promise<void> {
    const { store } = this.host;
    const row = store.generation(id);
    if (!row || row.ended_at !== null) return;
    const events = store.events(id);
    const reply = assembleAssistant(row.message_id, events);
    const usage = usageOf(result.usage, reply, this.promptTokens(row));
    const charged = row.own_key
      ? 0
      : Math.min(chargeFor(usage, aiRates(this.host.env)), row.hold_amount ?? 0);
    store.recordCharge(id, usage, charged);
    const balance = await this.settlements.settle(id);
    // A reply cut short still closes what it opened, so a client's parts end "done".
    for (const chunk of closingChunks(store.events(id))) this.append(id, chunk);
    const status = statusOf(ending);
    const metadata = { generation_id: id, model: row.model, usage, charged, status };
    for (const chunk of lastChunks(ending, metadata, balance, result)) this.append(id, chunk);
    const now = clock.now();
    const final = assembleAssistant(row.message_id, store.events(id));
    if (final.parts.length > 0 || ending !== "finished") store.putMessage(row.chat_id, final, now);
    store.touchChat(row.chat_id, null, now);
    store.markEnded(id, status, now);
    this.host.cancel(watchdogKey(id));
    this.log.end(id);
    this.host.onReply(row.chat_id, final);
    this.settlements.forgetIfEphemeral(id);
  }

  /** The settle job (a wallet that could not be reached when the generation ended). */
  settleStored(id: string): Promise<void> {
    return this.settlements.retry(id);
  }

  /** The reply being generated in a chat, as far as it has come (for GET …/chat/:id). */
  partialReply(chatId: string): StoredUIMessage | null {
    const active = this.host.store.activeGeneration(chatId);
    if (active?.status !== "streaming") return null;
    // Marked, so a page that loads the history mid-reply knows to resume it (and to read the
    // history again if the resume finds the reply already ended).
    return {
      ...assembleAssistant(active.message_id, this.host.store.events(active.id)),
      metadata: { status: "streaming", generation_id: active.id },
    };
  }

  // ── internals ──────────────────────────────────────────────────────────────────────────

  /** A generation past GENERATION_EVENTS_MAX chunks is ended like one past its time. */
  private append(id: string, chunk: UIChunk): void {
    if (!this.log.append(id, chunk)) this.running.get(id)?.abort.abort("watchdog");
  }

  private promptTokens(row: GenerationRow): number {
    const history = this.host.store.history(row.chat_id).filter((m) => m.id !== row.message_id);
    return promptFrom(history, CHAT_PROMPT_MAX_TOKENS).tokens;
  }
}
