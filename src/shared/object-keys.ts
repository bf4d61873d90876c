// Keys a client must never choose. Written as a property name, `__proto__` replaces an
// object's prototype (or, walked through, reaches Object.prototype itself, which every object
// of the isolate shares); `constructor` and `prototype` lead from any object to its class and
// from there to the shared prototypes. troupe refuses them wherever input names a key or a path.

export const PROTOTYPE_KEYS: ReadonlySet<string> = new Set([
  "__proto__",
  "constructor",
  "prototype",
]);

export function isPrototypeKey(key: string): boolean {
  return PROTOTYPE_KEYS.has(key);
}

/** The value stored under `key` by the object itself, never one inherited from a prototype. */
export function ownValue<T>(object: Record<string, T>, key: string): T | undefined {
  return Object.hasOwn(object, key) ? object[key] : undefined;
}
