// The fixture app's editor placement: opens its dialog whenever the agent clicks its icon.
app.initialized().then((client) => {
  client.events.on('app.activated', () => {
    client.interface.trigger('showModal', {
      title: 'Fixture dialog',
      template: 'modal.html',
      data: { from: 'editor' },
    });
  });
});
