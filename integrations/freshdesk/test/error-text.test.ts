// What the dialog and the sidebar say when a call the page made itself, with the agent's session,
// fails: the agent learns whether Uplink was unreachable, refused their session or the request.
import { ApiError, NetworkError } from '@uplink/links-panel/agent-api';
import { describe, expect, it } from 'vitest';
import { errorText, SessionRefusedError } from '../src/error-text.ts';
import { templateError } from '../src/templates.ts';

describe("a failed call with the agent's session", () => {
  it('says the session was refused on a 401, which only ever comes after one renewal', () => {
    const refusedAgain = 'Uplink refused a new session for you too. Reload the ticket to try again.';
    expect(errorText(new ApiError(401, 'unauthorized', 'Invalid or expired session.'))).toBe(refusedAgain);
    expect(errorText(new SessionRefusedError())).toBe(refusedAgain);
  });

  it('says Uplink could not be reached when its gateway answered for it, or nothing answered', () => {
    expect(errorText(new ApiError(503, undefined, '503 Service Unavailable'))).toBe(
      'Uplink could not be reached (503). Check the Uplink API host in the app settings, or try again in a moment.',
    );
    expect(errorText(new NetworkError('Failed to fetch'))).toBe(
      'Uplink could not be reached. Check your connection and try again.',
    );
  });

  it("passes on Uplink's own reason for a refused request", () => {
    const error = new ApiError(
      400,
      'validation_failed',
      'body/contextMessage must NOT have more than 1000 characters',
    );
    expect(errorText(error)).toBe(
      'Uplink refused the request (400): body/contextMessage must NOT have more than 1000 characters',
    );
  });

  it("keeps a template's own text (minting the session: the key refused)", () => {
    const minting = templateError({ status: 401, response: '' });
    expect(errorText(minting)).toBe(minting.message);
    expect(errorText(minting)).toMatch(/^Uplink refused the app's integration key \(401\)\./);
  });
});
