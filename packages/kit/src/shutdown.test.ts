import { captureLogger } from '@uplink/testing';
import { describe, expect, it } from 'vitest';
import { createShutdown } from './shutdown.ts';

describe('createShutdown', () => {
  it('runs the phases in order, once, and goes on past a phase that fails or is slow', async () => {
    const { logger, lines } = captureLogger();
    const ran: string[] = [];
    const shutdown = createShutdown(
      logger,
      [
        { name: 'stop traffic', run: () => void ran.push('stop traffic') },
        { name: 'slow', run: () => new Promise<void>((resolve) => setTimeout(() => resolve(), 100)) },
        {
          name: 'fails',
          run: async () => {
            ran.push('fails');
            throw new Error('boom');
          },
        },
        { name: 'close db', run: async () => void ran.push('close db') },
      ],
      1_000,
    );
    const first = shutdown('SIGTERM');
    expect(shutdown('SIGINT')).toBe(first);
    await first;
    expect(ran).toEqual(['stop traffic', 'fails', 'close db']);
    const failures = lines.filter((l) => l.msg === 'shutdown phase failed').map((l) => l.phase);
    expect(failures).toEqual(['fails']);
    expect(lines.at(-1)).toMatchObject({ msg: 'shutdown complete', type: 'shutdown' });
  });

  it('ends within its budget however many phases hang: a hanging phase gets what is left, later ones are skipped', async () => {
    const { logger, lines } = captureLogger();
    const ran: string[] = [];
    const hang = (name: string) => ({ name, run: () => new Promise<void>(() => ran.push(name)) });
    const shutdown = createShutdown(logger, [hang('first'), hang('second'), hang('third')], 200);
    const started = Date.now();
    await shutdown('SIGTERM');
    const tookMs = Date.now() - started;
    expect(tookMs).toBeGreaterThanOrEqual(195);
    expect(tookMs).toBeLessThan(400);
    expect(ran).toEqual(['first']);
    expect(lines.filter((l) => l.msg === 'shutdown phase failed').map((l) => l.phase)).toEqual(['first']);
    expect(
      lines
        .filter((l) => l.msg === 'shutdown phase skipped: the shutdown budget is spent')
        .map((l) => l.phase),
    ).toEqual(['second', 'third']);
  });
});
