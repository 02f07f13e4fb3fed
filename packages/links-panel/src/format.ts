// Small text helpers: the countdown and times.
import { fill } from '@uplink/web/text';

export type DurationTexts = { hoursMinutes: string; minutes: string; lessThanAMinute: string };

/** "1h 59m", "12m" or "less than a minute", rounded down to the minute. */
export function formatRemaining(ms: number, texts: DurationTexts): string {
  const totalMinutes = Math.floor(ms / 60_000);
  if (totalMinutes < 1) return texts.lessThanAMinute;
  const h = Math.floor(totalMinutes / 60);
  const m = totalMinutes % 60;
  return h > 0 ? fill(texts.hoursMinutes, { h, m }) : fill(texts.minutes, { m });
}

const sentFormat = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });

export function formatTime(iso: string): string {
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : sentFormat.format(date);
}
