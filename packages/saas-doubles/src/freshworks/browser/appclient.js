// The Freshworks host double's client script: what `{{{appclient}}}` loads in an app's page. It
// gives the page the documented `app.initialized()` and the client object, and forwards every
// call to the ticket page that framed it (the host, over postMessage to its origin only), which
// answers as Freshdesk does. Nothing here holds data: the host decides everything.
(() => {
  const host = new URL(document.currentScript.src).searchParams.get('host');
  const pending = new Map();
  const eventListeners = new Map();
  const messageListeners = [];
  let lastCall = 0;
  let initialized;

  function call(method, args) {
    return new Promise((resolve, reject) => {
      lastCall += 1;
      pending.set(lastCall, { resolve, reject });
      window.parent.postMessage({ fwDouble: 'call', id: lastCall, method, args }, host);
    });
  }

  function eventOf(type, data) {
    return { type, helper: { getData: () => data } };
  }

  window.addEventListener('message', (event) => {
    if (event.origin !== host || event.source !== window.parent) return;
    const message = event.data;
    if (message?.fwDouble === 'reply') {
      const waiting = pending.get(message.id);
      pending.delete(message.id);
      if (message.ok) waiting?.resolve(message.value);
      else waiting?.reject(message.error);
    } else if (message?.fwDouble === 'event') {
      for (const listener of eventListeners.get(message.type) ?? [])
        listener(eventOf(message.type, message.data));
    } else if (message?.fwDouble === 'instance-message') {
      for (const listener of messageListeners) listener(eventOf('instance.message', message.data));
    }
  });

  const client = {
    data: { get: (name) => call('data.get', [name]) },
    iparams: { get: (...names) => call('iparams.get', names) },
    request: { invokeTemplate: (name, options) => call('request.invokeTemplate', [name, options ?? {}]) },
    interface: { trigger: (action, options) => call('interface.trigger', [action, options]) },
    instance: {
      context: () => call('instance.context', []),
      get: () => call('instance.get', []),
      send: (options) => call('instance.send', [options]),
      receive(listener) {
        messageListeners.push(listener);
        void call('instance.receive', []);
      },
      close: () => call('instance.close', []),
      resize: (options) => call('instance.resize', [options]),
    },
    events: {
      on(type, listener) {
        const listeners = eventListeners.get(type) ?? [];
        listeners.push(listener);
        eventListeners.set(type, listeners);
        void call('events.on', [type]);
      },
    },
  };

  window.app = {
    initialized() {
      initialized ??= call('app.initialized', []).then(() => client);
      return initialized;
    },
  };
})();
