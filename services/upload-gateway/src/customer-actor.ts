import { createHmac, randomBytes } from 'node:crypto';
import type { AuditActor } from '@uplink/contracts';
import { SecretBox } from '@uplink/kit';

export type CustomerActor = Extract<AuditActor, { kind: 'customer' }>;

/** Browsers' user agents are a few hundred characters; anything longer is cut, not refused. */
const MAX_USER_AGENT = 500;

/**
 * Who the audit log says a customer is: their address as an HMAC-SHA-256 with a deployment key
 * (the same address gives the same hash, so an admin can tell one sender from many, yet the log
 * holds no address, and without the key no address can be tried against it) and their user
 * agent. The key is derived from UPLINK_SECRET_KEYS' sealing key; without it, a random key per
 * process: hashes then compare only within one process's lifetime.
 */
export class CustomerActors {
  readonly #key: Buffer;

  constructor(secretKeys: string | undefined) {
    this.#key = secretKeys
      ? SecretBox.parse(secretKeys).deriveKey('uplink audit: customer address')
      : randomBytes(32);
  }

  actorOf(request: { ip: string; headers: { 'user-agent'?: string | undefined } }): CustomerActor {
    const userAgent = request.headers['user-agent'];
    return {
      kind: 'customer',
      ipHash: createHmac('sha256', this.#key).update(request.ip).digest('hex'),
      ...(userAgent ? { userAgent: userAgent.slice(0, MAX_USER_AGENT) } : {}),
    };
  }
}
