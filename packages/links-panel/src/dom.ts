/**
 * An element of the page by its id. A missing one is a bug in the page's HTML, not a state to
 * handle, so it throws.
 */
export function byId<T extends HTMLElement>(id: string): T {
  const found = document.getElementById(id);
  if (!found) throw new Error(`the page has no #${id}`);
  return found as T;
}
