import { bodyLimit } from "hono/body-limit";
import { ApiError } from "../../shared/errors.ts";
import { REQUEST_BODY_MAX_BYTES } from "../../shared/limits.ts";

/** Refuses bodies over REQUEST_BODY_MAX_BYTES, by Content-Length or while streaming. */
export const requestBodyLimit = bodyLimit({
  maxSize: REQUEST_BODY_MAX_BYTES,
  onError: () => {
    throw new ApiError(
      "PAYLOAD_TOO_LARGE",
      `The request body exceeds ${REQUEST_BODY_MAX_BYTES} bytes.`,
      { limit_bytes: REQUEST_BODY_MAX_BYTES },
    );
  },
});
