import type { Context } from "hono";

export type AppEnv = {
  Bindings: Env;
  Variables: { requestId: string };
};

export type AppContext = Context<AppEnv>;
