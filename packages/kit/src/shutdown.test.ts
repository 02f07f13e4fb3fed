import { captureLogger } from '@uplink/testing';
import { describe, expect, it } from 'vitest';
import { createShutdown } from './shutdown.ts';

describe('createShutdown', () => {
  it('runs the phases in order, once, and goes on past a phase that hangs or fails', async () => {
    const { logger, lines } = captureLogger();
    const ran: string[] = [];
    const shutdown = createShutdown(
      logger,
      [
        { name: 'stop traffic', run: () => void ran.push('stop traffic') },
        { name: 'hangs', run: () => new Promise<void>(() => ran.push('hangs')) },
        {
          name: 'fails',
          run: async () => {
            ran.push('fails');
            throw new Error('boom');
          },
        },
        { name: 'close db', run: async () => void ran.push('close db') },
      ],
      100,
    );
    const first = shutdown('SIGTERM');
    expect(shutdown('SIGINT')).toBe(first);
    await first;
    expect(ran).toEqual(['stop traffic', 'hangs', 'fails', 'close db']);
    const failures = lines.filter((l) => l.msg === 'shutdown phase failed').map((l) => l.phase);
    expect(failures).toEqual(['hangs', 'fails']);
    expect(lines.at(-1)).toMatchObject({ msg: 'shutdown complete', type: 'shutdown' });
  });
});
