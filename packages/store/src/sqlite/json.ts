/**
 * JSON that keeps `Date`s, so stored documents read back exactly as MongoDB's (BSON dates, ms
 * precision). A date is written as `{"$date": "<ISO 8601>"}`: tagged rather than a bare string,
 * because documents also hold ISO strings that must stay strings (the events' timestamps).
 */
export function toJson(value: unknown): string {
  // The replacer sees a Date already turned into a string by Date.prototype.toJSON; the
  // holder (`this`) still has the Date itself.
  return JSON.stringify(value, function (this: Record<string, unknown>, key: string, encoded: unknown) {
    const raw = this[key];
    return raw instanceof Date ? { $date: raw.toISOString() } : encoded;
  });
}

export function fromJson<T>(text: string): T {
  return JSON.parse(text, (_key, value: unknown) => (isTaggedDate(value) ? new Date(value.$date) : value));
}

function isTaggedDate(value: unknown): value is { $date: string } {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { $date?: unknown }).$date === 'string' &&
    Object.keys(value).length === 1
  );
}
