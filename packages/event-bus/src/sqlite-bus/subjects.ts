// NATS subject rules, so that the embedded bus accepts and routes exactly what JetStream would:
// tokens are separated by '.', '*' stands for one token and a final '>' for one or more.

const tokens = (subject: string): string[] => subject.split('.');

/** A subject one can publish to: non-empty tokens, no wildcards, no whitespace. */
export function isPublishableSubject(subject: string): boolean {
  return tokens(subject).every((t) => t !== '' && t !== '*' && t !== '>' && !/\s/.test(t));
}

/** A filter: non-empty tokens, wildcards only as whole tokens, '>' only last. */
export function isValidFilter(filter: string): boolean {
  const parts = tokens(filter);
  return parts.every(
    (t, i) =>
      t !== '' && !/\s/.test(t) && (t === '>' ? i === parts.length - 1 : t === '*' || !/[*>]/.test(t)),
  );
}

/** Whether the literal `subject` falls under `filter`. */
export function subjectMatches(filter: string, subject: string): boolean {
  if (filter === subject) return true;
  const f = tokens(filter);
  const s = tokens(subject);
  for (let i = 0; i < f.length; i++) {
    const token = f[i];
    if (token === '>') return s.length > i;
    if (i >= s.length || (token !== '*' && token !== s[i])) return false;
  }
  return f.length === s.length;
}

/** Whether some subject falls under both filters (JetStream's test that a filter fits a stream). */
export function filtersOverlap(a: string, b: string): boolean {
  const x = tokens(a);
  const y = tokens(b);
  for (let i = 0; i < Math.max(x.length, y.length); i++) {
    const p = x[i];
    const q = y[i];
    if (p === '>' || q === '>') return p !== undefined && q !== undefined;
    if (p === undefined || q === undefined) return false;
    if (p !== q && p !== '*' && q !== '*') return false;
  }
  return true;
}
