// The reply editor's placement (ticket_conversation_editor): its icon opens the request dialog
// (modal.html), and so does the placement's button; when the dialog reports the new link, the
// reply text goes into the editor, after what the agent already wrote.
import { fill } from '@uplink/web/text';
import { type DialogData, isLinkCreatedMessage } from './freshworks.ts';
import { appMessages } from './messages.ts';

async function start(): Promise<void> {
  const client = await app.initialized();

  async function openDialog(): Promise<void> {
    const { ticket } = await client.data.get('ticket');
    const data: DialogData = { ticketId: String(ticket.id) };
    await client.interface.trigger('showModal', {
      title: appMessages.dialogTitle,
      template: 'modal.html',
      data,
    });
  }

  // The icon opens the dialog at once; the placement's own button opens it again once closed.
  client.events.on('app.activated', () => void openDialog());
  document.getElementById('open-dialog')?.addEventListener('click', () => void openDialog());

  client.instance.receive((event) => {
    const { message } = event.helper.getData();
    if (!isLinkCreatedMessage(message)) return;
    void (async () => {
      await client.interface.trigger('setValue', {
        id: 'editor',
        text: message.replyText,
        replace: false,
        position: 'end',
      });
      await client.interface.trigger('showNotify', {
        type: 'success',
        message: fill(appMessages.linkAdded, { shortId: message.shortId }),
      });
    })();
  });
}

void start();
