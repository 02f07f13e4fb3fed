// The Freshworks host double's ticket page: it frames the app's placements (the ticket sidebar, the
// reply editor's toolbar app, modals) from the app's own origin and answers their client calls as
// the documented client API says. Request templates go to the double's server, which runs them
// the way Freshworks' proxy does; secure iparams never reach this page.
(() => {
  const config = JSON.parse(document.getElementById('fw-double-config').textContent);
  const editor = document.getElementById('reply-editor');
  const instances = new Map();
  let lastInstanceId = 0;
  let savedCaret;
  // What the app did that the double does not play (events it listens to), for tests to read.
  const record = { unplayedEvents: [], notifications: [] };
  Object.defineProperty(window, '__fwDouble', { value: record });

  function frameFor(location, path, { parentId, modalData } = {}) {
    lastInstanceId += 1;
    const iframe = document.createElement('iframe');
    iframe.src = `${config.appOrigin}/app/${path}`;
    const instance = {
      id: String(lastInstanceId),
      location,
      iframe,
      parentId,
      modalData,
      active: false,
      initialized: false,
      events: new Set(),
      receives: false,
    };
    instances.set(instance.id, instance);
    return instance;
  }

  function post(instance, message) {
    instance.iframe.contentWindow?.postMessage(message, config.appOrigin);
  }

  function setActive(instance, active) {
    instance.active = active;
    const type = active ? 'app.activated' : 'app.deactivated';
    if (instance.initialized && instance.events.has(type)) post(instance, { fwDouble: 'event', type });
  }

  function contextOf(instance) {
    const context = { instanceId: instance.id, location: instance.location };
    if (instance.location === 'modal') {
      context.parentId = instance.parentId;
      if (instance.modalData !== undefined) context.modalData = instance.modalData;
    }
    return context;
  }

  // The sidebar: loaded with the page and shown at once.
  if (config.placements.ticket_sidebar) {
    const sidebar = frameFor('ticket_sidebar', config.placements.ticket_sidebar.url);
    sidebar.iframe.title = `${config.appName} (ticket sidebar)`;
    sidebar.iframe.className = 'sidebar-frame';
    document.getElementById('sidebar-apps').append(sidebar.iframe);
    sidebar.active = true;
  }

  // The editor's toolbar app: loaded on the first click of its icon, which shows and hides its
  // panel (app.activated, app.deactivated); a click elsewhere in the page hides it too.
  const editorIcon = document.getElementById('editor-app-icon');
  const editorPanel = document.getElementById('editor-app-panel');
  let editorApp;
  function showEditorApp(show) {
    if (editorApp === undefined) {
      editorApp = frameFor('ticket_conversation_editor', config.placements.ticket_conversation_editor.url);
      editorApp.iframe.title = `${config.appName} (reply editor)`;
      editorApp.iframe.className = 'editor-frame';
      editorPanel.append(editorApp.iframe);
    }
    editorPanel.hidden = !show;
    editorIcon.setAttribute('aria-expanded', String(show));
    setActive(editorApp, show);
  }
  editorIcon?.addEventListener('click', () => showEditorApp(editorPanel.hidden));
  document.addEventListener('click', (event) => {
    const inside = editorPanel.contains(event.target) || editorIcon?.contains(event.target);
    if (!editorPanel.hidden && !inside) showEditorApp(false);
  });

  // Where the agent's caret was in the reply editor, for text inserted "at the cursor".
  document.addEventListener('selectionchange', () => {
    const selection = document.getSelection();
    if (selection?.rangeCount && editor.contains(selection.getRangeAt(0).commonAncestorContainer)) {
      savedCaret = selection.getRangeAt(0).cloneRange();
    }
  });

  /** The editor takes HTML, as Freshdesk's does; what could run script is dropped, as Freshdesk sanitizes. */
  function fragmentOf(html) {
    const template = document.createElement('template');
    template.innerHTML = html;
    for (const element of template.content.querySelectorAll('script,style,iframe,object,embed,link,meta')) {
      element.remove();
    }
    for (const element of template.content.querySelectorAll('*')) {
      for (const attribute of [...element.attributes]) {
        const unsafeUrl = /^\s*javascript:/i.test(attribute.value);
        if (attribute.name.toLowerCase().startsWith('on') || unsafeUrl)
          element.removeAttribute(attribute.name);
      }
    }
    return template.content;
  }

  function insertIntoEditor(text, { replace = false, position } = {}) {
    if (typeof text !== 'string') throw { message: 'text must be a string' };
    if (position !== undefined && position !== 'start' && position !== 'end') {
      throw { message: `position must be "start" or "end", not ${JSON.stringify(position)}` };
    }
    const fragment = fragmentOf(text);
    if (replace) {
      editor.replaceChildren(fragment);
    } else if (position === 'start') {
      const block = document.createElement('div');
      block.append(fragment);
      editor.prepend(block);
    } else if (position === 'end' || savedCaret === undefined) {
      const block = document.createElement('div');
      block.append(fragment);
      editor.append(block);
    } else {
      savedCaret.collapse(false);
      savedCaret.insertNode(fragment);
    }
    editor.dispatchEvent(new Event('input', { bubbles: true }));
  }

  function openModal(parent, options) {
    if (typeof options?.title !== 'string' || typeof options?.template !== 'string') {
      throw { message: 'showModal needs a title and a template' };
    }
    const dialog = document.getElementById('app-modal');
    const modal = frameFor('modal', options.template, { parentId: parent.id, modalData: options.data });
    modal.iframe.title = options.title;
    modal.iframe.className = 'modal-frame';
    document.getElementById('app-modal-title').textContent = options.title;
    document.getElementById('app-modal-body').replaceChildren(modal.iframe);
    modal.active = true;
    dialog.hidden = false;
    dialog.dataset.instanceId = modal.id;
  }

  function closeModal() {
    const dialog = document.getElementById('app-modal');
    instances.delete(dialog.dataset.instanceId);
    document.getElementById('app-modal-body').replaceChildren();
    dialog.hidden = true;
    delete dialog.dataset.instanceId;
  }
  document.getElementById('app-modal-close').addEventListener('click', closeModal);

  const NOTIFY_TYPES = ['success', 'info', 'warning', 'danger', 'alert'];
  function notify(options) {
    if (!NOTIFY_TYPES.includes(options?.type) || typeof options?.message !== 'string') {
      throw { message: `showNotify needs a type (${NOTIFY_TYPES.join(', ')}) and a message` };
    }
    record.notifications.push({ type: options.type, title: options.title, message: options.message });
    const line = document.createElement('p');
    line.className = `notify notify-${options.type}`;
    line.textContent = options.title ? `${options.title}: ${options.message}` : options.message;
    document.getElementById('notifications').append(line);
  }

  async function invokeTemplate(instance, name, options) {
    const answer = await fetch('/__fw/invoke', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        name,
        context: options?.context,
        body: options?.body,
        location: instance.location,
      }),
    });
    const outcome = await answer.json();
    if (!outcome.ok) throw outcome.error;
    return outcome.value;
  }

  async function trigger(instance, action, options) {
    if (action === 'setValue') {
      if (options?.id !== 'editor')
        throw { message: `setValue on ${options?.id} is not played by the double` };
      insertIntoEditor(options.text, options);
      return { message: 'success' };
    }
    if (action === 'click') {
      if (options?.id !== 'reply') throw { message: `click on ${options?.id} is not played by the double` };
      document.getElementById('reply').hidden = false;
      if (options.text !== undefined) insertIntoEditor(options.text, { position: 'end' });
      return { message: 'success' };
    }
    if (action === 'showModal') {
      openModal(instance, options);
      return { message: 'success' };
    }
    if (action === 'showNotify') {
      notify(options);
      return { message: 'success' };
    }
    throw { message: `interface action ${action} is not played by the double` };
  }

  const methods = {
    'app.initialized'(instance) {
      instance.initialized = true;
      return {};
    },
    'events.on'(instance, [type]) {
      instance.events.add(type);
      if (type !== 'app.activated' && type !== 'app.deactivated') record.unplayedEvents.push(type);
      if (type === 'app.activated' && instance.active) post(instance, { fwDouble: 'event', type });
      return {};
    },
    'data.get'(_instance, [name]) {
      if (name === 'ticket') return { ticket: config.ticket };
      if (name === 'loggedInUser') return { loggedInUser: config.loggedInUser };
      if (name === 'domainName') return { domainName: config.domainName };
      throw { message: `data object ${name} is not played by the double` };
    },
    'iparams.get'(_instance, names) {
      if (names.length === 0) return config.iparams;
      const values = {};
      for (const name of names) {
        if (!(name in config.iparams)) throw { message: `no such (non-secure) iparam: ${name}` };
        values[name] = config.iparams[name];
      }
      return values;
    },
    'request.invokeTemplate': (instance, [name, options]) => invokeTemplate(instance, name, options),
    'interface.trigger': (instance, [action, options]) => trigger(instance, action, options),
    'instance.context': (instance) => contextOf(instance),
    'instance.get': () => [...instances.values()].map(contextOf),
    'instance.receive'(instance) {
      instance.receives = true;
      return {};
    },
    'instance.send'(instance, [options]) {
      if (options === undefined || !('message' in options)) throw { message: 'send needs a message' };
      const receivers = options.receiver === undefined ? undefined : [options.receiver].flat().map(String);
      for (const other of instances.values()) {
        if (other === instance || !other.receives) continue;
        if (receivers !== undefined && !receivers.includes(other.id)) continue;
        post(other, {
          fwDouble: 'instance-message',
          data: { senderId: instance.id, message: options.message },
        });
      }
      return { message: 'success' };
    },
    'instance.close'(instance) {
      if (instance.location !== 'modal') throw { message: 'only a modal can be closed' };
      closeModal();
      return {};
    },
    'instance.resize'(instance, [options]) {
      const height = Number.parseInt(String(options?.height), 10);
      if (!(height > 0)) throw { message: 'resize needs a height such as "500px"' };
      instance.iframe.style.height = `${Math.min(height, 700)}px`;
      return {};
    },
  };

  window.addEventListener('message', async (event) => {
    if (event.origin !== config.appOrigin || event.data?.fwDouble !== 'call') return;
    const instance = [...instances.values()].find(
      (candidate) => candidate.iframe.contentWindow === event.source,
    );
    if (instance === undefined) return;
    const { id, method, args } = event.data;
    const reply = (answer) =>
      event.source.postMessage({ fwDouble: 'reply', id, ...answer }, config.appOrigin);
    try {
      const handler = methods[method];
      if (handler === undefined) throw { message: `${method} is not played by the double` };
      reply({ ok: true, value: await handler(instance, args) });
    } catch (error) {
      reply({ ok: false, error: error instanceof Error ? { message: error.message } : error });
    }
  });
})();
