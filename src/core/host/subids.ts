// /etc/subuid and /etc/subgid: the subordinate id ranges a user may map into a user namespace
// (capsules run rootless in them; virtiofsd's sandbox for a user's shared folders too).

/** Ranges of /etc/subuid or /etc/subgid lines for `name` or its numeric id, in file order. */
export function parseSubIds(text: string, name: string, id: number): { start: number; count: number }[] {
  const out: { start: number; count: number }[] = [];
  for (const line of text.split('\n')) {
    const [who, start, count] = line.trim().split(':');
    if (!who || (who !== name && who !== String(id))) continue;
    const s = Number(start);
    const c = Number(count);
    if (Number.isInteger(s) && Number.isInteger(c) && c > 0) out.push({ start: s, count: c });
  }
  return out;
}
