/**
 * Memoizes an async load for the isolate's life, dropping a rejected attempt so that the next call retries (a
 * model folder can be filled while `wrangler dev` keeps running). Later calls reuse the first call's argument's result.
 */
export function memoize<A, T>(load: (arg: A) => Promise<T>): { get(arg: A): Promise<T>; value(): T | undefined } {
  let promise: Promise<T> | undefined;
  let value: T | undefined;
  return {
    get(arg) {
      promise ??= load(arg).then(
        (v) => (value = v),
        (error: unknown) => {
          promise = undefined;
          throw error;
        },
      );
      return promise;
    },
    value: () => value,
  };
}
