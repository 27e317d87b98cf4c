// Maps TOML key paths ("vm.win11.cpu", "container.api.volumes.0") to where they are written, so
// validation errors can say file:line:column. smol-toml gives values, not positions; this small
// scanner walks the same text once. It never throws: on odd input it just knows fewer places.

export interface Pos {
  line: number;
  column: number;
}

export function locateKeys(text: string): Map<string, Pos> {
  const found = new Map<string, Pos>();
  let i = 0;
  let line = 1;
  let lineStart = 0;
  const arrayTables = new Map<string, number>();
  let prefix: string[] = [];

  const pos = (): Pos => ({ line, column: i - lineStart + 1 });
  const peek = (s: string) => text.startsWith(s, i);
  const advance = () => {
    if (text[i] === '\n') {
      line++;
      lineStart = i + 1;
    }
    i++;
  };
  const skipSpaces = () => {
    while (i < text.length && (text[i] === ' ' || text[i] === '\t')) i++;
  };
  const skipComment = () => {
    while (i < text.length && text[i] !== '\n') i++;
  };
  const skipBlank = () => {
    for (;;) {
      skipSpaces();
      if (text[i] === '#') skipComment();
      else if (text[i] === '\n' || text[i] === '\r') advance();
      else return;
    }
  };
  const skipString = () => {
    const q = text[i]!;
    const triple = peek(q.repeat(3));
    const close = triple ? q.repeat(3) : q;
    i += close.length;
    while (i < text.length) {
      if (q === '"' && text[i] === '\\') {
        i += 2;
        continue;
      }
      if (peek(close)) {
        i += close.length;
        while (triple && text[i] === q) i++; // """a"""" is legal: extra quotes belong to the string
        return;
      }
      if (!triple && text[i] === '\n') return;
      advance();
    }
  };
  const readKeyPart = (): string | undefined => {
    skipSpaces();
    const c = text[i];
    if (c === '"' || c === "'") {
      const start = i;
      skipString();
      const raw = text.slice(start + 1, i - 1);
      return c === '"' ? raw.replace(/\\(.)/g, '$1') : raw;
    }
    const m = /^[A-Za-z0-9_-]+/.exec(text.slice(i, i + 256));
    if (!m) return undefined;
    i += m[0].length;
    return m[0];
  };
  const readDottedKey = (): string[] | undefined => {
    const parts: string[] = [];
    for (;;) {
      const p = readKeyPart();
      if (p === undefined) return parts.length ? parts : undefined;
      parts.push(p);
      skipSpaces();
      if (text[i] !== '.') return parts;
      i++;
    }
  };

  const value = (path: string[], depth: number): void => {
    skipSpaces();
    const c = text[i];
    if (depth > 64) return;
    if (c === '"' || c === "'") return skipString();
    if (c === '[') {
      i++;
      for (let idx = 0; i < text.length; idx++) {
        skipBlank();
        if (text[i] === ']') break;
        const at = pos();
        const before = i;
        found.set([...path, String(idx)].join('.'), at);
        value([...path, String(idx)], depth + 1);
        skipBlank();
        if (text[i] === ',') i++;
        else if (i === before) advance();
      }
      if (text[i] === ']') i++;
      return;
    }
    if (c === '{') {
      i++;
      while (i < text.length) {
        skipSpaces();
        if (text[i] === '}') {
          i++;
          return;
        }
        if (text[i] === '\n') return;
        const at = pos();
        const key = readDottedKey();
        if (!key) {
          i++;
          continue;
        }
        const full = [...path, ...key];
        found.set(full.join('.'), at);
        skipSpaces();
        if (text[i] === '=') i++;
        value(full, depth + 1);
        skipSpaces();
        if (text[i] === ',') i++;
      }
      return;
    }
    while (i < text.length && !/[,\]}\n#]/.test(text[i]!)) i++;
  };

  while (i < text.length) {
    skipBlank();
    if (i >= text.length) break;
    const at = pos();
    if (text[i] === '[') {
      const isArray = peek('[[');
      i += isArray ? 2 : 1;
      const key = readDottedKey() ?? [];
      const name = key.join('.');
      if (isArray) {
        const n = arrayTables.get(name) ?? 0;
        arrayTables.set(name, n + 1);
        prefix = [...key, String(n)];
      } else prefix = key;
      if (!found.has(prefix.join('.'))) found.set(prefix.join('.'), at);
      skipComment();
      continue;
    }
    const key = readDottedKey();
    if (!key) {
      skipComment();
      continue;
    }
    const full = [...prefix, ...key];
    found.set(full.join('.'), at);
    // Dotted keys also locate their parents (env.API_KEY places "env" too).
    for (let k = prefix.length + 1; k < full.length; k++) if (!found.has(full.slice(0, k).join('.'))) found.set(full.slice(0, k).join('.'), at);
    skipSpaces();
    if (text[i] === '=') {
      i++;
      value(full, 0);
    }
    skipComment();
  }
  return found;
}

/** The closest located ancestor of a path (a missing key is reported at its table). */
export function nearest(found: Map<string, Pos>, path: readonly (string | number)[]): Pos {
  for (let n = path.length; n > 0; n--) {
    const p = found.get(path.slice(0, n).join('.'));
    if (p) return p;
  }
  return { line: 1, column: 1 };
}
