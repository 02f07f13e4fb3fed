// The File tab: pick or drop one file; its type and size are checked here before any upload
// (and again by the server).
import { type MediaCategory, resolveMediaType } from '@uplink/contracts/media-types';
import { fill } from '@uplink/web/text';
import { type PanelController, required } from './dom.ts';
import type { Page } from './page.ts';

export function setupFile(panel: HTMLElement, page: Page): PanelController {
  const t = page.t;
  const input = required<HTMLInputElement>(panel, 'input[type="file"]');
  const dropzone = required<HTMLElement>(panel, '.dropzone');
  const selected = required<HTMLElement>(panel, '.selected');
  const send = required<HTMLButtonElement>(panel, '[data-action="send"]');
  const limits = page.config.limits;
  const categories = Object.keys(limits) as MediaCategory[];
  let chosen: { file: File; contentType: string } | undefined;

  const choose = (file: File | undefined) => {
    page.clearError();
    chosen = undefined;
    send.hidden = true;
    selected.hidden = true;
    if (!file) return;
    const size = page.bytes(file.size);
    const resolved = resolveMediaType(file.type, file.name, categories);
    const max = resolved ? (limits[resolved.category] ?? 0) : 0;
    let problem: string | undefined;
    if (!resolved) problem = fill(t.fileTypeNotAllowed, { name: file.name });
    else if (file.size === 0) problem = fill(t.fileEmpty, { name: file.name });
    else if (file.size > max) problem = fill(t.fileTooLarge, { name: file.name, size, max: page.bytes(max) });
    if (problem || !resolved) {
      input.value = '';
      page.showError(problem ?? t.errors.unknown);
      return;
    }
    const contentType =
      file.type && file.type !== 'application/octet-stream' ? file.type : resolved.type.mime;
    chosen = { file, contentType };
    const text = fill(t.fileSelected, { name: file.name, size });
    selected.textContent = text;
    selected.hidden = false;
    send.hidden = false;
    send.focus();
    page.announce(text);
  };

  input.addEventListener('change', () => choose(input.files?.[0]));
  // A file dropped anywhere on the page lands here while this tab is open; otherwise it is
  // ignored rather than opened by the browser in place of the page.
  const open = () => panel.closest('[hidden]') === null && !page.uploading;
  document.addEventListener('dragover', (event) => {
    event.preventDefault();
    dropzone.classList.toggle('over', open());
  });
  document.addEventListener('dragleave', (event) => {
    if (event.relatedTarget === null) dropzone.classList.remove('over');
  });
  document.addEventListener('drop', (event) => {
    event.preventDefault();
    dropzone.classList.remove('over');
    if (open()) choose(event.dataTransfer?.files[0]);
  });
  send.addEventListener('click', () => {
    if (!chosen) return;
    const { file, contentType } = chosen;
    void page.send(file, { fileName: file.name, contentType, kind: 'file' }, send);
  });

  return { deactivate: () => {}, release: () => {} };
}
