// The request dialog the editor's icon opens: a message for the customer and how long the link
// stays valid (the tenant's default first), then the link is created for this ticket through
// the createLink template and the reply text handed to the editor placement.
import { NetworkError } from '@uplink/links-panel';
import { fill } from '@uplink/web/text';
import type { DialogData, LinkCreatedMessage } from './freshworks.ts';
import { appMessages } from './messages.ts';
import { createLink, getSettings, TemplateError } from './templates.ts';

function byId<T extends HTMLElement>(id: string): T {
  const found = document.getElementById(id);
  if (!found) throw new Error(`the dialog has no #${id}`);
  return found as T;
}

function errorText(error: unknown): string {
  if (error instanceof TemplateError) return error.message;
  if (error instanceof NetworkError) return appMessages.errors.network;
  return fill(appMessages.errors.generic, {
    message: error instanceof Error ? error.message : String(error),
  });
}

function isDialogData(data: unknown): data is DialogData {
  return typeof data === 'object' && data !== null && typeof (data as DialogData).ticketId === 'string';
}

async function start(): Promise<void> {
  const form = byId<HTMLFormElement>('request-form');
  const context = byId<HTMLTextAreaElement>('context');
  const validity = byId<HTMLSelectElement>('validity');
  const error = byId<HTMLElement>('request-error');
  const create = byId<HTMLButtonElement>('create');
  const cancel = byId<HTMLButtonElement>('cancel');

  const client = await app.initialized();
  const { modalData: data } = await client.instance.context();
  context.focus();
  cancel.addEventListener('click', () => client.instance.close());
  if (!isDialogData(data)) {
    error.textContent = appMessages.noTicket;
    create.disabled = true;
    return;
  }
  const ticket = { provider: 'freshdesk', id: data.ticketId } as const;

  // The tenant's default validity; a key or host problem shows here, before the agent types.
  getSettings(client)
    .then((settings) => {
      // Shown as the hours it is, unless the agent already chose.
      if (validity.value === '') validity.value = String(settings.defaultValidityHours);
    })
    .catch((failure: unknown) => {
      error.textContent = errorText(failure);
    });

  form.addEventListener('submit', (event) => {
    event.preventDefault();
    create.disabled = true;
    error.textContent = '';
    create.setAttribute('aria-busy', 'true');
    const message = context.value.trim();
    createLink(
      client,
      ticket,
      message === '' ? undefined : message,
      validity.value === '' ? undefined : Number(validity.value),
    )
      .then((created) => {
        const done: LinkCreatedMessage = {
          type: 'uplink.link-created',
          shortId: created.shortId,
          replyText: created.replyText,
        };
        client.instance.send({ message: done });
        client.instance.close();
      })
      .catch((failure: unknown) => {
        error.textContent = errorText(failure);
      })
      .finally(() => {
        create.disabled = false;
        create.removeAttribute('aria-busy');
      });
  });
}

void start();
