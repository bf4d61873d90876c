import { bodyLimit } from "hono/body-limit";
import { createMiddleware } from "hono/factory";
import { ApiError } from "../../shared/errors.ts";
import { CHAT_REQUEST_BODY_MAX_BYTES, REQUEST_BODY_MAX_BYTES } from "../../shared/limits.ts";
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

/** A stock useChat sends the whole conversation each turn: its route takes bigger bodies. */
const CHAT_PATH = /^\/v1\/creations\/[^/]+\/chat$/;

/** Refuses bodies over their route's limit, by Content-Length or while streaming. */
export const requestBodyLimit = createMiddleware<AppEnv>((c, next) =>
  (CHAT_PATH.test(c.req.path) ? chatLimit : defaultLimit)(c, next),
);
