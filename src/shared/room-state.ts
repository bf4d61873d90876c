// Shared room state: a JSON object patched by path. Used by the room (with write rules) and by
// the client SDK's local mirror (without), so both apply a patch exactly the same way.

import { isJsonObject, type JsonObject } from "./json.ts";
import { isPrototypeKey, ownValue } from "./object-keys.ts";
import type { PatchOp, RoomIdentity } from "./schemas/room.ts";

export class PatchError extends Error {
  readonly code: "FORBIDDEN_PATH" | "INVALID_PATCH";

  constructor(code: "FORBIDDEN_PATH" | "INVALID_PATCH", message: string) {
    super(message);
    this.code = code;
  }
}

export const emptyRoomState = (): JsonObject => ({ shared: {}, users: {} });

/**
 * The keys a path names, percent-decoded. A segment that does not decode, or that would walk
 * into a prototype (`__proto__`, `constructor`, `prototype`), makes the whole patch invalid.
 */
export function pathKeys(path: string): string[] {
  return path
    .split("/")
    .slice(1)
    .map((segment) => {
      let key: string;
      try {
        key = decodeURIComponent(segment);
      } catch {
        throw new PatchError(
          "INVALID_PATCH",
          `${path}: "${segment}" is not valid percent-encoding.`,
        );
      }
      if (isPrototypeKey(key)) {
        throw new PatchError("INVALID_PATCH", `${path}: "${key}" may not be used as a key.`);
      }
      return key;
    });
}

/**
 * Who may write where: `/users/<own id>/…` only that user, `/shared/…` any participant,
 * anything else only the creation's owner or its backend (privileged).
 */
export function checkWritable(path: string, writer: RoomIdentity): void {
  if (writer.privileged) return;
  const [root, owner] = pathKeys(path);
  if (root === "shared" && owner !== undefined) return;
  if (root === "users" && owner === writer.user_id) return;
  throw new PatchError("FORBIDDEN_PATH", `${writer.user_id} may not write ${path}.`);
}

/** Applies ops to a copy of `state`; the original is untouched if any op fails. */
export function applyOps(state: JsonObject, ops: readonly PatchOp[]): JsonObject {
  const next = structuredClone(state);
  for (const op of ops) applyOp(next, op);
  return next;
}

function applyOp(state: JsonObject, op: PatchOp): void {
  const keys = pathKeys(op.path);
  const last = keys.pop() as string;
  let parent: JsonObject = state;
  for (const key of keys) {
    const child = ownValue(parent, key);
    if (child === undefined) {
      if (op.op === "delete") return; // nothing to delete
      parent[key] = {};
    } else if (!isJsonObject(child)) {
      throw new PatchError("INVALID_PATCH", `${op.path}: "${key}" is not an object.`);
    }
    parent = parent[key] as JsonObject;
  }
  const current = ownValue(parent, last);
  switch (op.op) {
    case "set":
      parent[last] = op.value;
      return;
    case "delete":
      delete parent[last];
      return;
    case "increment":
      if (current !== undefined && typeof current !== "number") {
        throw new PatchError("INVALID_PATCH", `${op.path} is not a number.`);
      }
      parent[last] = (current ?? 0) + (op.value ?? 1);
      return;
    case "append":
      if (current !== undefined && !Array.isArray(current)) {
        throw new PatchError("INVALID_PATCH", `${op.path} is not a list.`);
      }
      parent[last] = [...(current ?? []), op.value];
      return;
  }
}
