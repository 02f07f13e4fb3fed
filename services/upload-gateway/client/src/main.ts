// The upload page's script: wires the server-rendered page. It never runs inline (the CSP
// forbids it); its configuration comes from a JSON element, which never executes.
import { type ClientConfig, CONFIG_ELEMENT_ID } from '../../src/page/client-config.ts';
import { setupAudio } from './audio.ts';
import type { PanelController } from './dom.ts';
import { setupFile } from './file.ts';
import { Page } from './page.ts';
import { offerScreenTab, setupScreen } from './screen.ts';
import { setupTabs } from './tabs.ts';
import { setupVideo } from './video.ts';

function readConfig(): ClientConfig | undefined {
  const text = document.getElementById(CONFIG_ELEMENT_ID)?.textContent;
  return text ? (JSON.parse(text) as ClientConfig) : undefined;
}

/** "valid until" in the customer's own time zone (the server only knows UTC). */
function localizeTimes(locale: string): void {
  const format = new Intl.DateTimeFormat(locale, { dateStyle: 'medium', timeStyle: 'short' });
  for (const time of document.querySelectorAll<HTMLTimeElement>('time[datetime]')) {
    const date = new Date(time.dateTime);
    if (!Number.isNaN(date.getTime())) time.textContent = format.format(date);
  }
}

function start(config: ClientConfig): void {
  localizeTimes(config.locale);
  const page = new Page(config);
  const controllers = new Map<HTMLElement, PanelController>();
  offerScreenTab();
  const setups = { audio: setupAudio, video: setupVideo, screen: setupScreen, file: setupFile };
  for (const panel of document.querySelectorAll<HTMLElement>('[role="tabpanel"]')) {
    const setup = setups[panel.dataset.kind as keyof typeof setups] as typeof setupAudio | undefined;
    if (setup) controllers.set(panel, setup(panel, page));
  }
  page.onClose = () => {
    for (const controller of controllers.values()) controller.release();
  };
  const tablist = document.querySelector<HTMLElement>('[role="tablist"]');
  if (tablist) {
    setupTabs(tablist, (_panel, previous) => {
      page.clearError();
      controllers.get(previous)?.deactivate();
    });
  }
  window.addEventListener('pagehide', () => page.onClose());
  void page.continueSaved();
}

const config = readConfig();
if (config) start(config);
