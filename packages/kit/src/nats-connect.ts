import type { Logger } from 'pino';
import type { NatsEventBus } from './nats.ts';

/**
 * Connects the JetStream event bus. The NATS client library is loaded here, when a process first
 * connects, not with the kit: the embedded default (`npm start`) never talks to NATS and is
 * spared its start-up time and memory.
 */
export async function connectNatsBus(url: string, name: string, logger: Logger): Promise<NatsEventBus> {
  const { openNatsBus } = await import('./nats.ts');
  return openNatsBus(url, name, logger);
}
