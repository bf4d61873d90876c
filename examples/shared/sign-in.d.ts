// Types of ./sign-in.js for the examples written in TypeScript (ai-chat/main.tsx).

/** The bearer token for this tab (asks who the visitor is on the first visit); null for an
 * anonymous visitor. */
export function currentToken(): Promise<string | null>;

/** The signed-in user id, if any. */
export function signedInAs(): string | null;

/** Forgets the token; with `everything` also who the visitor is (they are asked again). */
export function signOut(options?: { everything?: boolean }): void;
