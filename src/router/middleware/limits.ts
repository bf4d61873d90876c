import { bodyLimit } from "hono/body-limit";
import { createMiddleware } from "hono/factory";
import { ApiError } from "../../shared/errors.ts";
import {
  CHAT_REQUEST_BODY_MAX_BYTES,
  LLM_TOOL_REQUEST_BODY_MAX_BYTES,
  REQUEST_BODY_MAX_BYTES,
} from "../../shared/limits.ts";
import type { AppEnv } from "../context.ts";

const limitOf = (maxSize: number) =>
  bodyLimit({
    maxSize,
    onError: () => {
      throw new ApiError("PAYLOAD_TOO_LARGE", `The request body exceeds ${maxSize} bytes.`, {
        limit_bytes: maxSize,
      });
    },
  });

const defaultLimit = limitOf(REQUEST_BODY_MAX_BYTES);
const chatLimit = limitOf(CHAT_REQUEST_BODY_MAX_BYTES);
const llmToolLimit = limitOf(LLM_TOOL_REQUEST_BODY_MAX_BYTES);

/** A stock useChat sends the whole conversation each turn: its route takes bigger bodies. */
const CHAT_PATH = /^\/v1\/creations\/[^/]+\/chat$/;
/** So do the LLM tools' callers (OpenAI's and Anthropic's clients). */
const LLM_TOOL_PATH = /^\/v1\/tools\/llm\//;

function limitFor(path: string) {
  if (CHAT_PATH.test(path)) return chatLimit;
  return LLM_TOOL_PATH.test(path) ? llmToolLimit : defaultLimit;
}

/** Refuses bodies over their route's limit, by Content-Length or while streaming. */
export const requestBodyLimit = createMiddleware<AppEnv>((c, next) =>
  limitFor(c.req.path)(c, next),
);
