// Plain text helpers for pages and their browser scripts (no imports: bundled into the clients).

/** Replaces each `{name}` in a message with its value; unknown names stay as they are. */
export function fill(template: string, values: Record<string, string | number>): string {
  return template.replace(/\{(\w+)\}/g, (whole, name: string) =>
    Object.hasOwn(values, name) ? String(values[name]) : whole,
  );
}
