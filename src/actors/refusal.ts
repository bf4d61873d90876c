// Expected refusals cross the actor boundary as values. An ApiError thrown out of an RPC method
// is logged by the runtime as an uncaught exception with its stack, so a real fault would hide
// among hundreds of "insufficient funds". So an actor's RPC methods return a refused answer as
// a plain value, and callers reach actors through actorByName(), whose stub turns that value
// back into the ApiError it was. Anything that is not an ApiError still throws: faults stay loud.

import * as v from "valibot";
import {
  ApiError,
  asApiError,
  type ErrorCode,
  invalidField,
  type ProblemExtensions,
} from "../shared/errors.ts";

const REFUSAL = "troupe_refusal";

interface Refusal {
  [REFUSAL]: { code: ErrorCode; detail: string; extensions: ProblemExtensions };
}

function isRefusal(value: unknown): value is Refusal {
  return typeof value === "object" && value !== null && Object.hasOwn(value, REFUSAL);
}

/**
 * An actor parses its RPC input again with the shared schema; input the router let through can
 * still fail there (an `expires_at` a few milliseconds in the future has passed by the time the
 * actor looks). That is the caller's input, so it is a 400 naming the field, never a 500.
 */
function invalidInput(error: { issues: [v.BaseIssue<unknown>, ...v.BaseIssue<unknown>[]] }) {
  const [issue] = error.issues;
  return invalidField("body", v.getDotPath(issue) ?? "body", issue.message);
}

/** The ApiError an error from an actor's method stands for (its input failing the schema is
 *  one), or null for a fault. */
export function refusalOf(error: unknown): ApiError | null {
  return v.isValiError(error) ? invalidInput(error) : asApiError(error);
}

/** The refusal an error stands for, or the error itself, rethrown. */
function refusalOrRethrow(error: unknown): Refusal {
  const refusal = refusalOf(error);
  if (!refusal) throw error;
  return {
    [REFUSAL]: { code: refusal.code, detail: refusal.detail, extensions: refusal.extensions },
  };
}

/** Turns a value from an actor back into what the actor meant: the answer, or its ApiError. */
export function unwrapRefusal<T>(value: T): T {
  if (!isRefusal(value)) return value;
  const { code, detail, extensions } = value[REFUSAL];
  throw new ApiError(code, detail, extensions);
}

// biome-ignore lint/suspicious/noExplicitAny: any method signature may be wrapped.
type AnyMethod = (...args: any[]) => unknown;
type MethodNames<T> = { [K in keyof T]: T[K] extends AnyMethod ? K : never }[keyof T];

/**
 * Makes the RPC methods of `actorClass` answer an ApiError with a refusal value. Every public
 * method the class adds to `Base` must be listed (the type checks it), so a new RPC method
 * cannot be forgotten. Sync methods stay sync, so the actor may still call them itself.
 */
export function refusalsAsValues<T, Base>(
  actorClass: { prototype: T },
  methods: Record<Exclude<MethodNames<T>, keyof Base>, true>,
): void {
  const prototype = actorClass.prototype as Record<string, AnyMethod>;
  for (const name of Object.keys(methods)) {
    const method = prototype[name];
    if (typeof method !== "function") throw new Error(`${name} is not a method`);
    prototype[name] = function (this: unknown, ...args: unknown[]) {
      try {
        const result = method.apply(this, args);
        return result instanceof Promise ? result.catch(refusalOrRethrow) : result;
      } catch (error) {
        return refusalOrRethrow(error);
      }
    };
  }
}

/**
 * The stub of the actor `name` in `namespace`, for every call into an actor: each RPC call's
 * answer is unwrapped, so a refusal arrives as the ApiError the actor threw.
 */
export function actorByName<T extends Rpc.DurableObjectBranded | undefined>(
  namespace: DurableObjectNamespace<T>,
  name: string,
): DurableObjectStub<T> {
  const stub = namespace.getByName(name);
  return new Proxy(stub, {
    get(target, property) {
      const member = Reflect.get(target, property);
      if (typeof member !== "function" || typeof property !== "string") return member;
      // Called as a method of the stub: an RPC method's own `apply` would be another RPC call.
      const methods = target as unknown as Record<string, AnyMethod>;
      return async (...args: unknown[]) => unwrapRefusal(await methods[property]?.(...args));
    },
  });
}
