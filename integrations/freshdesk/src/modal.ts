// The request dialog the editor's icon opens: a message for the customer and how long the link
// stays valid (the tenant's default first), then the link is created for this ticket as the
// agent, with their session (agent-session.ts), so Uplink records them as its maker, and the
// reply text handed to the editor placement.
import { byId } from '@uplink/links-panel/dom';
import { agentApiOf } from './agent-session.ts';
import { errorText } from './error-text.ts';
import type { DialogData, LinkCreatedMessage } from './freshworks.ts';
import { appMessages } from './messages.ts';
import { getSettings } from './templates.ts';

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
  const [{ modalData: data }, { api, session }] = await Promise.all([
    client.instance.context(),
    agentApiOf(client),
  ]);
  context.focus();
  cancel.addEventListener('click', () => client.instance.close());
  if (!isDialogData(data)) {
    error.textContent = appMessages.noTicket;
    create.disabled = true;
    return;
  }
  const ticket = { provider: 'freshdesk', id: data.ticketId } as const;

  // The tenant's default validity, through the template (an agent session may not read
  // settings); a key or host problem shows here, before the agent types.
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
    const validityHours = validity.value === '' ? undefined : Number(validity.value);
    session
      .call(() => api.createLink(ticket, message === '' ? undefined : message, validityHours))
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
