// What the console's pages build alike: elements looked up by id (a missing one is a bug in the
// page, so it throws), table cells filled with textContent only, and the hooks a page reports
// its errors through.

export type PageHooks = {
  announce(text: string): void;
  /** A 401 signs the agent out: true when the error was one. */
  unauthorized(error: unknown): boolean;
  errorText(error: unknown): string;
};

export { byId } from '@uplink/links-panel';

/** A cell holding `text`, inside a `<time>` when `dateTime` is given. */
export function cell(text: string, dateTime?: string): HTMLTableCellElement {
  const td = document.createElement('td');
  if (dateTime === undefined) {
    td.textContent = text;
  } else {
    const time = document.createElement('time');
    time.dateTime = dateTime;
    time.textContent = text;
    td.append(time);
  }
  return td;
}
