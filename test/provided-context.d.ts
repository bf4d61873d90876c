// Values the Node-side global setups hand to tests through vitest's provide/inject.
export {};

declare module "vitest" {
  export interface ProvidedContext {
    /** The local webhook receiver (test/support/webhook-receiver.ts). */
    webhookReceiverUrl: string;
    /** The local identity provider's key set (test/support/jwks-server.ts) and its signing key. */
    jwksUrl: string;
    jwksPrivateJwk: string;
    /** `wrangler dev` started for the browser tests. */
    baseUrl: string;
  }
}
