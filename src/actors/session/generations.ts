// A session's generations: started behind a wallet hold, streamed chunk by chunk into SQLite
// and to every reader, stopped on request, ended by a watchdog or after an eviction, and
// settled against the hold exactly once (the wallet's idempotency keys are the generation's).

import { streamText } from "ai";
import { languageModel, type ModelConfig, platformModelConfig } from "../../ai/models.ts";
import { aiRates, chargeFor, estimateTokens, type TokenUsage } from "../../ai/pricing.ts";
import { clock } from "../../shared/clock.ts";
import { ApiError } from "../../shared/errors.ts";
import {
  CHAT_PROMPT_MAX_TOKENS,
  GENERATION_EVENTS_MAX,
  GENERATION_MAX_MS,
  SESSION_GENERATIONS_MAX,
} from "../../shared/limits.ts";
import type { PutPrefs, StoredUIMessage, UserMessage } from "../../shared/schemas/chat.ts";
import type { Principal, ServicePrincipal } from "../../shared/schemas/principal.ts";
import { actorByName } from "../refusal.ts";
import type { ScheduleRequest } from "../scheduler.ts";
import { creationAccount } from "../wallet/account.ts";
import { assembleAssistant, type PromptMessage, promptFrom, textOf, titleOf } from "./messages.ts";
import type { GenerationRow, GenerationStatus } from "./schema.ts";
import type { SessionStore } from "./store.ts";
import type { Listeners, UIChunk } from "./stream.ts";

/** The session acts on wallets as the platform: it is the platform's own metering. */
const PLATFORM: ServicePrincipal = { type: "service", id: "platform", secret_index: 0 };

/** How long a hold outlives the longest generation, so settling never finds it expired. */
const HOLD_MARGIN_SECONDS = 10 * 60;

export interface GenerationsHost {
  env: Env;
  store: SessionStore;
  listeners: Listeners;
  identity(): { creationId: string; userId: string };
  schedule(request: ScheduleRequest): number;
  cancel(key: string): boolean;
  finalizeTask: string;
  settleTask: string;
}

/** How a generation ended. */
type Ending = "finished" | "stopped" | "failed" | "interrupted";

interface Running {
  abort: AbortController;
  done: Promise<void>;
}

const watchdogKey = (id: string) => `watchdog:${id}`;
const settleKey = (id: string) => `settle:${id}`;

export class Generations {
  private readonly running = new Map<string, Running>();
  private readonly seqs = new Map<string, number>();

  constructor(private readonly host: GenerationsHost) {}

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
    // The creation decides who pays and may change its settings any time: asked per generation.
    const creation = await actorByName(
      this.host.env.CREATION,
      this.host.identity().creationId,
    ).roomPolicy();
    if (!creation) throw new ApiError("CREATION_NOT_FOUND", "No such creation.");
    store.requireRoomFor(chatId);
    if (message === null && !store.chat(chatId)) {
      throw new ApiError("CHAT_NOT_FOUND", "There is no reply to regenerate in this chat.");
    }
    const id = `gen_${crypto.randomUUID()}`;
    const messageId = `msg_${crypto.randomUUID()}`;
    const config = this.modelConfig();
    const model = this.chosenModel(config);
    const now = clock.now();
    this.claim(id, chatId, messageId, model, config, now);
    let holdId: string;
    let holdAmount: number;
    let prompt: PromptMessage[];
    try {
      const history = [...store.history(chatId)];
      if (message === null) {
        store.dropAfterLastUserMessage(chatId);
        history.splice(0, history.length, ...store.history(chatId));
      } else {
        history.push(message);
      }
      const built = promptFrom(history, CHAT_PROMPT_MAX_TOKENS);
      prompt = built.messages;
      if (prompt.length === 0) throw new ApiError("INVALID_REQUEST", "There is nothing to answer.");
      holdAmount = this.worstCase(built.tokens);
      holdId = await this.placeHold(id, chatId, model, holdAmount);
    } catch (error) {
      // Nothing was accepted: the chat is free again and the history unchanged.
      this.host.store.generation(id) && this.dropClaim(id);
      throw error;
    }
    this.accept(id, chatId, messageId, message, holdId, holdAmount, caller);
    const abort = new AbortController();
    const done = this.run(id, config, model, prompt, abort.signal).finally(() =>
      this.running.delete(id),
    );
    this.running.set(id, { abort, done });
    return { id, message_id: messageId };
  }

  /** One generation per chat (the unique index), SESSION_GENERATIONS_MAX per session. */
  private claim(
    id: string,
    chatId: string,
    messageId: string,
    model: string,
    config: ModelConfig,
    now: number,
  ): void {
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
    this.sql().exec(
      `INSERT INTO generations (id, chat_id, message_id, status, model, own_key, started_at)
       VALUES (?, ?, ?, 'holding', ?, ?, ?)`,
      id,
      chatId,
      messageId,
      model,
      Number(config.ownKey),
      now,
    );
  }

  private dropClaim(id: string): void {
    this.sql().exec("DELETE FROM generations WHERE id = ? AND status = 'holding'", id);
  }

  /** From here the generation is live: the user's message is history, `start` is streamed. */
  private accept(
    id: string,
    chatId: string,
    messageId: string,
    message: UserMessage | null,
    holdId: string,
    holdAmount: number,
    _caller: Principal,
  ): void {
    const { store } = this.host;
    const now = clock.now();
    store.touchChat(chatId, message ? titleOf(textOf(message)) : null, now);
    if (message) store.putMessage(chatId, message, now);
    this.sql().exec(
      "UPDATE generations SET status = 'streaming', hold_id = ?, hold_amount = ? WHERE id = ?",
      holdId,
      holdAmount,
      id,
    );
    this.seqs.set(id, 0);
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
    config: ModelConfig,
    model: string,
    prompt: PromptMessage[],
    signal: AbortSignal,
  ): Promise<void> {
    let usage: { input: number | undefined; output: number | undefined } | null = null;
    let finishReason: string | undefined;
    let ending: Ending = "finished";
    let errorText: string | null = null;
    try {
      const prefs = this.prefs();
      const result = streamText({
        model: languageModel(config, model),
        messages: prompt,
        maxOutputTokens: this.maxOutputTokens(),
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
      if (signal.aborted) ending = signal.reason === "watchdog" ? "interrupted" : "stopped";
      else {
        ending = "failed";
        errorText = providerError(error);
      }
    }
    if (signal.aborted && ending === "finished") ending = "stopped";
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
      this.dropClaim(id);
      return;
    }
    this.seqs.set(id, this.host.store.lastSeq(id));
    await this.end(id, ending, {
      usage: null,
      finishReason: undefined,
      errorText:
        ending === "interrupted"
          ? "The generation was interrupted; the partial reply is kept."
          : null,
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
      usage: { input: number | undefined; output: number | undefined } | null;
      finishReason: string | undefined;
      errorText: string | null;
    },
  ): Promise<void> {
    const { store, listeners } = this.host;
    const row = store.generation(id);
    if (!row || row.ended_at !== null) return;
    const events = store.events(id);
    const reply = assembleAssistant(row.message_id, events);
    const usage = usageOf(result.usage, ending, reply, this.promptTokens(row));
    const charged = row.own_key
      ? 0
      : Math.min(chargeFor(usage, aiRates(this.host.env)), row.hold_amount ?? 0);
    this.sql().exec(
      `UPDATE generations SET input_tokens = ?, output_tokens = ?, estimated = ?, charged = ?
       WHERE id = ?`,
      usage.input_tokens,
      usage.output_tokens,
      Number(usage.estimated),
      charged,
      id,
    );
    const balance = await this.settle(id);
    const metadata = {
      generation_id: id,
      model: row.model,
      usage,
      charged,
    };
    if (balance !== null) {
      this.append(id, { type: "data-wallet", data: { balance, charged }, transient: true });
    }
    if (ending === "finished") {
      this.append(id, {
        type: "finish",
        finishReason: result.finishReason ?? "stop",
        messageMetadata: metadata,
      });
    } else {
      this.append(id, { type: "message-metadata", messageMetadata: metadata });
      this.append(
        id,
        ending === "stopped"
          ? { type: "abort", reason: "stopped" }
          : { type: "error", errorText: result.errorText ?? "The generation failed." },
      );
    }
    const now = clock.now();
    const final = assembleAssistant(row.message_id, store.events(id));
    const status: GenerationStatus =
      ending === "finished" ? "finished" : ending === "stopped" ? "stopped" : "failed";
    if (final.parts.length > 0 || ending !== "finished") store.putMessage(row.chat_id, final, now);
    store.touchChat(row.chat_id, null, now);
    this.sql().exec(
      "UPDATE generations SET status = ?, ended_at = ? WHERE id = ?",
      status,
      now,
      id,
    );
    this.host.cancel(watchdogKey(id));
    this.seqs.delete(id);
    listeners.end(id);
  }

  /** Captures the charge (or releases the whole hold when there is none); the wallet's
   *  idempotency keys make a retry harmless. Answers the payer's balance, or null when the
   *  wallet could not be reached (a job retries until it is). */
  async settle(id: string): Promise<number | null> {
    const row = this.host.store.generation(id);
    if (!row || row.settled || !row.hold_id) return null;
    const account = creationAccount(this.host.identity().creationId);
    const wallet = actorByName(this.host.env.WALLET, account);
    try {
      const charged = row.charged ?? 0;
      const settled =
        charged > 0
          ? await wallet.capture(
              account,
              PLATFORM,
              row.hold_id,
              { amount: charged, description: describe(row) },
              `ai:${id}:capture`,
            )
          : await wallet.release(account, PLATFORM, row.hold_id, `ai:${id}:release`);
      this.sql().exec("UPDATE generations SET settled = 1 WHERE id = ?", id);
      this.host.cancel(settleKey(id));
      return settled.body.balance;
    } catch {
      this.host.schedule({
        key: settleKey(id),
        task: this.host.settleTask,
        payload: { generation_id: id },
        at: clock.now(),
      });
      return null;
    }
  }

  /** The settle job: a no-op once settled. */
  async settleStored(id: string): Promise<void> {
    const row = this.host.store.generation(id);
    if (!row || row.settled) return;
    if ((await this.settle(id)) === null && !this.host.store.generation(id)?.settled) {
      throw new Error(`generation ${id}: the wallet could not be settled yet`);
    }
  }

  /** The reply being generated in a chat, as far as it has come (for GET …/chat/:id). */
  partialReply(chatId: string): StoredUIMessage | null {
    const active = this.host.store.activeGeneration(chatId);
    if (active?.status !== "streaming") return null;
    return assembleAssistant(active.message_id, this.host.store.events(active.id));
  }

  prefs() {
    const config = this.modelConfig();
    const row = this.sql()
      .exec<{ model: string | null; temperature: number | null }>(
        "SELECT model, temperature FROM session",
      )
      .toArray()[0];
    return {
      model: row?.model && config.models.includes(row.model) ? row.model : config.model,
      temperature: row?.temperature ?? null,
      models: [...config.models],
    };
  }

  putPrefs(input: PutPrefs) {
    const config = this.modelConfig();
    if (input.model !== undefined && !config.models.includes(input.model)) {
      throw new ApiError("MODEL_NOT_ALLOWED", `Choose one of: ${config.models.join(", ")}.`, {
        models: config.models,
      });
    }
    if (input.model !== undefined) this.sql().exec("UPDATE session SET model = ?", input.model);
    if (input.temperature !== undefined) {
      this.sql().exec("UPDATE session SET temperature = ?", input.temperature);
    }
    return this.prefs();
  }

  // ── internals ──────────────────────────────────────────────────────────────────────────

  private append(id: string, chunk: UIChunk): void {
    const seq = (this.seqs.get(id) ?? this.host.store.lastSeq(id)) + 1;
    if (seq > GENERATION_EVENTS_MAX) {
      this.running.get(id)?.abort.abort("watchdog");
      return;
    }
    this.seqs.set(id, seq);
    this.host.store.appendEvent(id, seq, chunk);
    this.host.listeners.push(id, { seq, chunk });
  }

  private async placeHold(id: string, chatId: string, model: string, amount: number) {
    const account = creationAccount(this.host.identity().creationId);
    const wallet = actorByName(this.host.env.WALLET, account);
    const placed = await wallet.hold(
      account,
      PLATFORM,
      {
        amount,
        type: "ai",
        description: `AI chat ${chatId}: generation ${id} (${model}), worst case`,
        ttl_seconds: Math.ceil(GENERATION_MAX_MS / 1000) + HOLD_MARGIN_SECONDS,
      },
      `ai:${id}:hold`,
    );
    return placed.body.hold.id;
  }

  /** Credits for the prompt and the longest reply allowed: no generation can cost more. */
  private worstCase(promptTokens: number): number {
    const charge = chargeFor(
      { input_tokens: promptTokens, output_tokens: this.maxOutputTokens() },
      aiRates(this.host.env),
    );
    return Math.max(1, charge);
  }

  private promptTokens(row: GenerationRow): number {
    const history = this.host.store.history(row.chat_id).filter((m) => m.id !== row.message_id);
    return promptFrom(history, CHAT_PROMPT_MAX_TOKENS).tokens;
  }

  private maxOutputTokens(): number {
    const value = Number(this.host.env.AI_MAX_OUTPUT_TOKENS || "1024");
    return Number.isInteger(value) && value > 0 ? value : 1024;
  }

  private modelConfig(): ModelConfig {
    return platformModelConfig(this.host.env);
  }

  private chosenModel(config: ModelConfig): string {
    return this.prefs().model ?? config.model;
  }

  private sql(): SqlStorage {
    return (this.host.store as unknown as { sql: SqlStorage }).sql;
  }
}

function usageOf(
  reported: { input: number | undefined; output: number | undefined } | null,
  _ending: Ending,
  reply: StoredUIMessage,
  promptTokens: number,
): TokenUsage {
  if (reported && reported.input !== undefined && reported.output !== undefined) {
    return { input_tokens: reported.input, output_tokens: reported.output, estimated: false };
  }
  return {
    input_tokens: promptTokens,
    output_tokens: estimateTokens(textOf(reply)),
    estimated: true,
  };
}

function describe(row: GenerationRow): string {
  return `AI chat ${row.chat_id}: generation ${row.id} (${row.model}), ${row.input_tokens ?? 0} input and ${row.output_tokens ?? 0} output tokens`;
}

/** A provider's failure in words a user may see (never a stack or a key). */
function providerError(error: unknown): string {
  const status = (error as { statusCode?: unknown }).statusCode;
  return typeof status === "number"
    ? `The model provider answered ${status}; the partial reply is kept.`
    : "The model provider failed mid-reply; the partial reply is kept.";
}
