// What the dialog and the sidebar say when a request template fails, by the status Freshworks
// hands back: the agent (or the admin they ask) learns whether Uplink was unreachable or refused
// the key, and the status to look up.
import { describe, expect, it } from 'vitest';
import { templateError } from '../src/templates.ts';

const envelope = (code: string, message: string) => JSON.stringify({ error: { code, message } });

describe('a failed request template', () => {
  it('says the integration key was refused on 401', () => {
    const error = templateError({ status: 401, response: envelope('unauthorized', 'Invalid API key.') });
    expect(error.status).toBe(401);
    expect(error.message).toMatch(/^Uplink refused the app's integration key \(401\)\./);
  });

  it('says the key lacks the role on 403', () => {
    expect(templateError({ status: 403, response: '' }).message).toMatch(/needs the integration role/);
  });

  it.each([502, 503, 504])('says Uplink could not be reached on %s from the proxy', (status) => {
    const error = templateError({ status, response: 'Bad Gateway', errorSource: 'PLATFORM' });
    expect(error.message).toBe(
      `Uplink could not be reached (${status}). Check the Uplink API host in the app settings, or try again in a moment.`,
    );
  });

  it('says Uplink could not be reached when there is no answer at all', () => {
    expect(templateError(new TypeError('Failed to fetch')).message).toMatch(
      /^Uplink could not be reached \(no answer\)/,
    );
    expect(templateError(undefined).message).toMatch(/^Uplink could not be reached \(no answer\)/);
  });

  it("passes on Uplink's own reason for a refused request", () => {
    const error = templateError({
      status: 400,
      response: envelope('validation_failed', 'body/validityHours must be one of 1, 2, 4, 8, 24'),
    });
    expect(error.message).toBe(
      'Uplink refused the request (400): body/validityHours must be one of 1, 2, 4, 8, 24',
    );
  });
});
