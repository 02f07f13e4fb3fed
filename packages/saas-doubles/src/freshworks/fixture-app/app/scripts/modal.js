// The fixture app's dialog: inserts its text in the reply editor, tells the sidebar, and closes.
app.initialized().then(async (client) => {
  const context = await client.instance.context();
  document.getElementById('opened-from').textContent = `Opened from ${context.modalData.from}`;
  document.getElementById('insert').addEventListener('click', async () => {
    const text = document.getElementById('text').value;
    await client.interface.trigger('setValue', { id: 'editor', text, replace: false, position: 'end' });
    await client.instance.send({ message: { text } });
    await client.interface.trigger('showNotify', { type: 'success', message: 'Inserted' });
    await client.instance.close();
  });
});
