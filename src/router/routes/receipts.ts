// Purchase receipts (seed 000): the public key set they are signed with, for offline checks, and
// the verify endpoint for creations that would rather ask.

import * as v from "valibot";
import { invalidField } from "../../shared/errors.ts";
import { RECEIPT_MAX_CHARS } from "../../shared/limits.ts";
import { receiptKeySet, verifyReceipt } from "../../shared/receipts.ts";
import { ReceiptVerifiedSchema } from "../../shared/schemas/commerce.ts";
import type { AppContext } from "../context.ts";
import { defineRoute } from "../route.ts";

const tag = "commerce";
const ReceiptQuerySchema = v.object({
  token: v.optional(v.pipe(v.string(), v.maxLength(RECEIPT_MAX_CHARS))),
});
const ReceiptBodySchema = v.strictObject({
  token: v.optional(v.pipe(v.string(), v.maxLength(RECEIPT_MAX_CHARS))),
  receipt: v.optional(v.pipe(v.string(), v.maxLength(RECEIPT_MAX_CHARS))),
});
/** Public keys change only on rotation; creations may cache them this long. */
const JWKS_MAX_AGE_SECONDS = 300;

async function answer(c: AppContext, token: string | undefined) {
  if (!token) throw invalidField("body", "token", "send the receipt as token (or ?token=)");
  const payload = await verifyReceipt(c.env, token);
  return c.json(payload ? { valid: true, payload } : { valid: false });
}

const EXEMPTION =
  "Verifying is a signature check; creation Workers on Cloudflare all reach it from one address";

export const receiptRoutes = [
  defineRoute(
    {
      method: "get",
      path: "/.well-known/jwks.json",
      operationId: "receiptKeys",
      summary: "The Ed25519 public keys purchase receipts are signed with (JWKS)",
      tag,
      auth: "public",
      responses: { 200: { description: "The key set" } },
    },
    async (c) => {
      c.header("Cache-Control", `public, max-age=${JWKS_MAX_AGE_SECONDS}`);
      return c.json(await receiptKeySet(c.env));
    },
  ),
  defineRoute(
    {
      method: "get",
      path: "/v1/purchase-receipts/verify",
      operationId: "verifyReceipt",
      summary: "Whether a purchase receipt is genuine, and what it says (public)",
      tag,
      auth: "public",
      edgeLimitExempt: EXEMPTION,
      query: ReceiptQuerySchema,
      responses: {
        200: { description: "valid with the payload, or not", schema: ReceiptVerifiedSchema },
      },
    },
    (c, { query }) => answer(c, query.token),
  ),
  defineRoute(
    {
      method: "post",
      path: "/v1/purchase-receipts/verify",
      operationId: "verifyReceiptPost",
      summary: "The same, with { token } (or { receipt }) in the body",
      tag,
      auth: "public",
      edgeLimitExempt: EXEMPTION,
      body: ReceiptBodySchema,
      responses: {
        200: { description: "valid with the payload, or not", schema: ReceiptVerifiedSchema },
      },
    },
    (c, { body }) => answer(c, body.token ?? body.receipt),
  ),
];
