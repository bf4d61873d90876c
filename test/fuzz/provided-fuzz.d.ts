// The settings scripts/fuzz.mjs provides to the fuzz tests (see settings.ts).
export {};

declare module "vitest" {
  export interface ProvidedContext {
    fuzz?: { runs?: number; seed?: number; verbose?: 0 | 1 | 2; path?: string };
  }
}
