// Names and strings a hostile client sends, shared by the fuzz test and the targeted tests.

/** Keys every JavaScript object answers to through its prototype. */
export const PROTOTYPE_NAMES = [
  "__proto__",
  "constructor",
  "prototype",
  "toString",
  "hasOwnProperty",
  "valueOf",
  "__defineGetter__",
  "isPrototypeOf",
] as const;
