// Orders names exactly as String.prototype.localeCompare does, without paying for it up front:
// a process's first localeCompare builds an ICU collator, ~8 ms of a ~150 ms cold `nova ls`.
// For strings of Nova's name alphabet ([a-z0-9_-]) under an English default locale the collation
// order is plain: '_' < '-' < digits < letters, a prefix before its extensions (name-order.test.ts
// checks it against localeCompare). Anything else — another default locale (Danish sorts "aa"
// last), other characters — goes to localeCompare itself.

const NAME = /^[a-z0-9_-]*$/;
const rank = (c: number) => (c === 95 ? 0 : c === 45 ? 1 : c <= 57 ? c - 46 : c - 85); // _ - 0-9 a-z

let english: boolean | undefined;
// PluralRules resolves the default locale for ~0.5 ms; a Collator would cost what we avoid.
const englishLocale = () => (english ??= /^en(-|$)/.test(new Intl.PluralRules().resolvedOptions().locale));

/** a.localeCompare(b), sign for sign. */
export function compareNames(a: string, b: string): number {
  if (!NAME.test(a) || !NAME.test(b) || !englishLocale()) return a.localeCompare(b);
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const d = rank(a.charCodeAt(i)) - rank(b.charCodeAt(i));
    if (d !== 0) return d < 0 ? -1 : 1;
  }
  return a.length === b.length ? 0 : a.length < b.length ? -1 : 1;
}
