import { describe, expect, it } from 'vitest';
import { AuthFailureThrottle, clientOf } from './auth.ts';

function clockAt(start: number) {
  const clock = { ms: start, now: () => new Date(clock.ms) };
  return clock;
}

describe('clientOf', () => {
  it('counts an IPv6 address by its /64 and an IPv4-mapped address as the IPv4 one', () => {
    expect(clientOf('2001:db8:0:7::1')).toBe(clientOf('2001:db8:0:7:ffff:ffff:ffff:fffe'));
    expect(clientOf('2001:db8:0:7::1')).toBe(clientOf('2001:0db8:0000:0007:0:0:0:2'));
    expect(clientOf('2001:db8:0:7::1')).not.toBe(clientOf('2001:db8:0:8::1'));
    expect(clientOf('2001:db8::1')).toBe(clientOf('2001:db8:0:0:1::1'));
    expect(clientOf('fe80::1%eth0')).toBe(clientOf('fe80::2'));
    expect(clientOf('::ffff:203.0.113.7')).toBe('203.0.113.7');
    expect(clientOf('203.0.113.7')).toBe('203.0.113.7');
  });
});

describe('AuthFailureThrottle', () => {
  it('refuses a client past its failures until its window ends, and no one else', () => {
    const clock = clockAt(1_000_000);
    const throttle = new AuthFailureThrottle({ maxFailures: 3, windowMs: 60_000, clock });
    for (let i = 0; i < 3; i++) {
      expect(throttle.retryAfterSeconds('203.0.113.7')).toBe(0);
      throttle.recordFailure('203.0.113.7');
    }
    expect(throttle.retryAfterSeconds('203.0.113.7')).toBe(60);
    expect(throttle.retryAfterSeconds('203.0.113.8')).toBe(0);
    clock.ms += 45_000;
    expect(throttle.retryAfterSeconds('203.0.113.7')).toBe(15);
    clock.ms += 15_000;
    expect(throttle.retryAfterSeconds('203.0.113.7')).toBe(0);
    throttle.recordFailure('203.0.113.7');
    expect(throttle.retryAfterSeconds('203.0.113.7')).toBe(0);
  });

  it('keeps at most maxClients windows, however many addresses fail', () => {
    const clock = clockAt(0);
    const throttle = new AuthFailureThrottle({ maxFailures: 3, windowMs: 60_000, maxClients: 100, clock });
    for (let i = 0; i < 5_000; i++) {
      throttle.recordFailure(`10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`);
      clock.ms += 1;
    }
    expect(throttle.size).toBe(100);
    // The newest clients are the ones still counted.
    for (let i = 0; i < 2; i++) throttle.recordFailure('10.0.19.135');
    expect(throttle.retryAfterSeconds('10.0.19.135')).toBeGreaterThan(0);
  });
});
