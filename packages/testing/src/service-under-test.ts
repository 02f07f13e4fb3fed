import { prepareService, type Service, startWorkers, stopWorkers } from '@uplink/kit';
import { closeWhenDone } from './auto-close.ts';

/**
 * Starts a service built by its app factory as `main` would (its start-up steps, listening on
 * `port` when given, then its workers); it stops, workers first, when the test or file that
 * started it is done.
 */
export async function startService<S extends Service>(service: S, port?: number): Promise<S> {
  closeWhenDone(async () => {
    await stopWorkers(service);
    await service.app.close();
  });
  await prepareService(service);
  if (port !== undefined) await service.app.listen({ host: '127.0.0.1', port });
  await startWorkers(service);
  return service;
}
