// Small DOM helpers the tabs share.

/** What main.ts needs of each tab's code. */
export type PanelController = {
  /** The customer left the tab: stop recording (keeping it), turn devices off. */
  deactivate(): void;
  /** The page is done (sent, closed, or left): free camera and microphone. */
  release(): void;
};

export function required<T extends Element>(root: HTMLElement, selector: string): T {
  const found = root.querySelector<T>(selector);
  if (!found) throw new Error(`#${root.id} has no ${selector}`);
  return found;
}

export function show(visible: readonly HTMLElement[], hidden: readonly HTMLElement[]): void {
  for (const element of hidden) element.hidden = true;
  for (const element of visible) element.hidden = false;
}
