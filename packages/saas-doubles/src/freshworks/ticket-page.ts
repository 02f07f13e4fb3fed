// The HTML of the double's Freshdesk ticket view: the conversation, the reply editor with the
// agent's own text and the editor toolbar holding the app's icon, the ticket sidebar's app frame,
// a modal and the notifications. Its script is browser/host.js; what it needs to know (never a
// secure iparam) travels in a JSON block.

export type TicketPageConfig = {
  readonly appName: string;
  readonly appOrigin: string;
  readonly placements: Readonly<Record<string, { url: string; icon: string }>>;
  readonly ticket: Readonly<Record<string, unknown>>;
  readonly loggedInUser: Readonly<Record<string, unknown>>;
  readonly domainName: string;
  /** Non-secure iparams only: what `client.iparams.get()` may give the app. */
  readonly iparams: Readonly<Record<string, string>>;
};

export function ticketPage(config: TicketPageConfig, editorText: string): string {
  const ticket = config.ticket as { id: number; subject: string; description_text: string };
  const editorIcon = config.placements.ticket_conversation_editor;
  const json = JSON.stringify(config).replaceAll('<', '\\u003c');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Ticket #${ticket.id} · ${escapeHtml(config.domainName)}</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/__fw/ticket-page.css">
</head>
<body>
<header class="top"><strong>Freshdesk</strong> (double) · ${escapeHtml(config.domainName)}</header>
<div class="layout">
<main>
  <h1>#${ticket.id} ${escapeHtml(ticket.subject)}</h1>
  <section aria-label="Conversation" class="conversation"><p>${escapeHtml(ticket.description_text)}</p></section>
  <section id="reply" aria-label="Reply" class="reply">
    <div role="toolbar" aria-label="Editor toolbar" class="toolbar">
      <button type="button" aria-label="Bold"><b>B</b></button>
      ${
        editorIcon === undefined
          ? ''
          : `<button type="button" id="editor-app-icon" aria-label="${escapeHtml(config.appName)}" aria-expanded="false"><img src="${escapeHtml(`${config.appOrigin}/app/${editorIcon.icon}`)}" alt="" width="20" height="20"></button>`
      }
    </div>
    <div id="editor-app-panel" class="editor-app" hidden></div>
    <div id="reply-editor" class="editor" contenteditable="true" role="textbox" aria-multiline="true" aria-label="Reply editor"><div>${escapeHtml(editorText)}</div></div>
  </section>
</main>
<aside aria-label="Apps" id="sidebar-apps" class="sidebar"></aside>
</div>
<div id="app-modal" class="modal" role="dialog" aria-modal="true" aria-labelledby="app-modal-title" hidden>
  <div class="modal-box">
    <div class="modal-head"><h2 id="app-modal-title"></h2><button type="button" id="app-modal-close" aria-label="Close">×</button></div>
    <div id="app-modal-body"></div>
  </div>
</div>
<div id="notifications" role="status" aria-live="polite" class="notifications"></div>
<script type="application/json" id="fw-double-config">${json}</script>
<script src="/__fw/host.js"></script>
</body>
</html>
`;
}

export const TICKET_PAGE_CSS = `
body { margin: 0; font: 14px/1.4 system-ui, sans-serif; color: #12344d; background: #f5f7f9; }
.top { background: #12344d; color: #fff; padding: 8px 16px; }
.layout { display: grid; grid-template-columns: 1fr 360px; gap: 16px; padding: 16px; }
main h1 { font-size: 18px; margin: 0 0 12px; }
.conversation, .reply { background: #fff; border: 1px solid #cfd7df; border-radius: 4px; padding: 12px; margin-bottom: 12px; }
.toolbar { display: flex; gap: 4px; border-bottom: 1px solid #cfd7df; padding-bottom: 6px; margin-bottom: 6px; }
.toolbar button { min-width: 32px; height: 32px; background: #fff; border: 1px solid #cfd7df; border-radius: 4px; }
.editor { min-height: 120px; padding: 8px; outline: 1px solid #ebeff3; }
.editor-app iframe { width: 100%; height: 120px; border: 1px solid #cfd7df; }
.sidebar iframe { width: 100%; height: 480px; border: 1px solid #cfd7df; background: #fff; }
.modal { position: fixed; inset: 0; background: rgba(18, 52, 77, 0.5); display: flex; align-items: center; justify-content: center; }
.modal[hidden] { display: none; }
.modal-box { background: #fff; width: 560px; border-radius: 6px; }
.modal-head { display: flex; justify-content: space-between; align-items: center; padding: 8px 16px; border-bottom: 1px solid #cfd7df; }
.modal-head h2 { font-size: 16px; margin: 0; }
.modal iframe { width: 100%; height: 380px; border: 0; }
.notifications { position: fixed; top: 8px; right: 8px; }
.notify { background: #fff; border-left: 4px solid #2c5cc5; padding: 8px 12px; margin: 4px 0; }
.notify-danger, .notify-alert { border-color: #d72d30; }
.notify-success { border-color: #00a886; }
`;

function escapeHtml(text: string): string {
  return text
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;')
    .replaceAll("'", '&#39;');
}
