// The File tab: pick or drop files; each one's type and size is checked here before any upload
// (and again by the server), and the ones that pass join the outbox.
import { type MediaCategory, resolveMediaType } from '@uplink/contracts/media-types';
import { fill } from '@uplink/web/text';
import { type PanelController, required } from './dom.ts';
import type { Page } from './page.ts';

export function setupFile(panel: HTMLElement, page: Page): PanelController {
  const t = page.t;
  const input = required<HTMLInputElement>(panel, 'input[type="file"]');
  const dropzone = required<HTMLElement>(panel, '.dropzone');
  const limits = page.config.limits;
  const categories = Object.keys(limits) as MediaCategory[];

  /** Why `file` cannot be sent, or undefined when it joins the outbox (with its content type). */
  const add = (file: File): string | undefined => {
    const size = page.bytes(file.size);
    const resolved = resolveMediaType(file.type, file.name, categories);
    const max = resolved ? (limits[resolved.category] ?? 0) : 0;
    if (!resolved) return fill(t.fileTypeNotAllowed, { name: file.name });
    if (file.size === 0) return fill(t.fileEmpty, { name: file.name });
    if (file.size > max) return fill(t.fileTooLarge, { name: file.name, size, max: page.bytes(max) });
    const refusal = page.outbox.refusal(file, file.name);
    if (refusal) return refusal;
    const contentType =
      file.type && file.type !== 'application/octet-stream' ? file.type : resolved.type.mime;
    page.outbox.add(file, { fileName: file.name, contentType, kind: 'file' }, 'file');
    return undefined;
  };

  const choose = (files: readonly File[]) => {
    page.clearError();
    const problems: string[] = [];
    const added: string[] = [];
    for (const file of files) {
      const problem = add(file);
      if (problem) problems.push(problem);
      else added.push(fill(t.fileAdded, { name: file.name, size: page.bytes(file.size) }));
    }
    // Emptied, so the same file can be picked again once it was removed.
    input.value = '';
    if (problems.length > 0) page.showError(problems.join(' '));
    if (added.length > 0) {
      page.outbox.sendButton.focus();
      page.announce(added.join(' '));
    }
  };

  input.addEventListener('change', () => choose([...(input.files ?? [])]));
  // Files dropped anywhere on the page land here while this tab is open; otherwise they are
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
    if (open()) choose([...(event.dataTransfer?.files ?? [])]);
  });

  return { deactivate: () => {}, release: () => {} };
}
