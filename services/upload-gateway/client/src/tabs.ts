// The WAI-ARIA tabs pattern: one tab stop, arrow keys (and Home/End) move and select.

export function setupTabs(
  tablist: HTMLElement,
  onSelect: (panel: HTMLElement, previous: HTMLElement) => void,
): void {
  const tabs = [...tablist.querySelectorAll<HTMLButtonElement>('[role="tab"]')];
  const panelOf = (tab: HTMLElement) => document.getElementById(tab.getAttribute('aria-controls') ?? '');

  const select = (tab: HTMLButtonElement, focus: boolean) => {
    const previous = tabs.find((candidate) => candidate.getAttribute('aria-selected') === 'true');
    for (const candidate of tabs) {
      const selected = candidate === tab;
      candidate.setAttribute('aria-selected', String(selected));
      candidate.tabIndex = selected ? 0 : -1;
      const panel = panelOf(candidate);
      if (panel) panel.hidden = !selected;
    }
    if (focus) tab.focus();
    const panel = panelOf(tab);
    const previousPanel = previous ? panelOf(previous) : null;
    if (panel && previousPanel && previous !== tab) onSelect(panel, previousPanel);
  };

  tablist.addEventListener('click', (event) => {
    const tab = (event.target as Element).closest<HTMLButtonElement>('[role="tab"]');
    if (tab) select(tab, true);
  });
  tablist.addEventListener('keydown', (event) => {
    const index = tabs.indexOf(event.target as HTMLButtonElement);
    if (index < 0) return;
    const next: Record<string, number> = {
      ArrowRight: (index + 1) % tabs.length,
      ArrowLeft: (index - 1 + tabs.length) % tabs.length,
      Home: 0,
      End: tabs.length - 1,
    };
    const target = tabs[next[event.key] ?? -1];
    if (!target) return;
    event.preventDefault();
    select(target, true);
  });
}
