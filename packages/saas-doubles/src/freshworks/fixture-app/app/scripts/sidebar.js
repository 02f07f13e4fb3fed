// The fixture app's sidebar: reads the ticket, the agent and a non-secure iparam, calls a request
// template, and shows what other instances send it.
app.initialized().then((client) => {
  client.events.on('app.activated', async () => {
    const { ticket } = await client.data.get('ticket');
    const { loggedInUser } = await client.data.get('loggedInUser');
    const { greeting } = await client.iparams.get('greeting');
    document.getElementById('ticket').textContent = `Ticket ${ticket.id}: ${ticket.subject}`;
    document.getElementById('agent').textContent = `Agent ${loggedInUser.contact.name}`;
    document.getElementById('greeting').textContent = greeting;
  });
  client.instance.receive((event) => {
    document.getElementById('received').textContent = `Received: ${event.helper.getData().message.text}`;
  });
  document.getElementById('echo').addEventListener('click', async () => {
    const { ticket } = await client.data.get('ticket');
    try {
      const answer = await client.request.invokeTemplate('echo', {
        context: { ticket_id: ticket.id },
        body: JSON.stringify({ hello: 'world' }),
      });
      document.getElementById('echoed').textContent = `${answer.status} ${answer.response}`;
    } catch (error) {
      document.getElementById('echoed').textContent = `Failed: ${error.status} ${error.response}`;
    }
  });
});
