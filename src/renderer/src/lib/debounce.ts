/** Trailing debounce: many events in a burst cause one refetch. */
export function debounce<A extends unknown[]>(fn: (...args: A) => void, ms: number): ((...args: A) => void) & { cancel(): void } {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const d = (...args: A) => {
    if (timer) clearTimeout(timer);
    timer = setTimeout(() => {
      timer = undefined;
      fn(...args);
    }, ms);
  };
  d.cancel = () => {
    if (timer) clearTimeout(timer);
    timer = undefined;
  };
  return d;
}
