/**
 * The pipeline's only value-or-promise plumbing. Most steps are synchronous for most requests (a
 * cached token, a static key, a synchronous schema, no stores), and a request that needs no promise
 * should get none: each one costs a microtask round. So a step returns its value, or a promise of
 * it when it must wait, and the pipeline continues through these two functions.
 *
 * Both pass two arguments through to the callback rather than taking a closure: the callback is a
 * named function created once, so the synchronous path allocates nothing here.
 *
 * @module
 */

/** A step's result: the value, or a promise of it when the step had to wait. */
export type MaybePromise<T> = T | Promise<T>

/**
 * Applies `next` to a value now, or to a promise's value once it settles: a step that can be
 * synchronous stays synchronous.
 */
export function continueWith<T, A, B, U>(
  value: MaybePromise<T>,
  next: (value: T, a: A, b: B) => MaybePromise<U>,
  a: A,
  b: B,
): MaybePromise<U> {
  return value instanceof Promise ? value.then((settled) => next(settled, a, b)) : next(value, a, b)
}

/**
 * Runs `step` and hands what it throws, synchronously or through its promise, to `onError`,
 * which throws it on (after reporting it, say).
 */
export function catchRejection<T, A, B>(
  step: (a: A, b: B) => MaybePromise<T>,
  onError: (error: unknown, a: A, b: B) => never,
  a: A,
  b: B,
): MaybePromise<T> {
  let outcome: MaybePromise<T>
  try {
    outcome = step(a, b)
  } catch (error) {
    return onError(error, a, b)
  }
  return outcome instanceof Promise
    ? outcome.catch((error: unknown) => onError(error, a, b))
    : outcome
}
