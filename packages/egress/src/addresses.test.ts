import { describe, expect, it } from 'vitest';
import { classifyAddress, isInternalName, isLoopbackName } from './addresses.ts';

describe('classifyAddress', () => {
  it.each([
    '8.8.8.8',
    '1.1.1.1',
    '52.96.0.1',
    '100.63.255.255',
    '100.128.0.0',
    '172.15.255.255',
    '172.32.0.0',
    '2606:4700:4700::1111',
    '2a00:1450:4001:82a::200e',
    '::ffff:8.8.8.8',
    '64:ff9b::808:808',
    '2002:808:808::1',
  ])('%s is public', (address) => {
    expect(classifyAddress(address)).toBe('public');
  });

  it.each([
    '127.0.0.1',
    '127.255.255.254',
    '::1',
    '0:0:0:0:0:0:0:1',
    '[::1]',
    '::ffff:127.0.0.1',
    '::ffff:7f00:1',
    '0:0:0:0:0:ffff:7f00:1',
  ])('%s is loopback', (address) => {
    expect(classifyAddress(address)).toBe('loopback');
  });

  it.each([
    ['0.0.0.0', 'unspecified'],
    ['0.1.2.3', 'this network'],
    ['10.0.0.1', 'private'],
    ['172.16.0.1', 'private'],
    ['172.31.255.255', 'private'],
    ['192.168.1.1', 'private'],
    ['100.64.0.1', 'carrier-grade NAT'],
    ['100.127.255.255', 'carrier-grade NAT'],
    ['169.254.169.254', 'link-local (cloud metadata)'],
    ['192.0.0.170', 'IETF assignments'],
    ['192.0.2.1', 'documentation'],
    ['198.51.100.7', 'documentation'],
    ['203.0.113.9', 'documentation'],
    ['198.18.0.1', 'benchmarking'],
    ['192.88.99.1', '6to4 relay'],
    ['224.0.0.1', 'multicast'],
    ['239.255.255.250', 'multicast'],
    ['240.0.0.1', 'reserved'],
    ['255.255.255.255', 'broadcast'],
    ['::', 'unspecified'],
    ['fe80::1', 'link-local'],
    ['fe80::1%eth0', 'link-local with a zone'],
    ['febf::1', 'link-local'],
    ['fc00::1', 'unique-local'],
    ['fd12:3456:789a::1', 'unique-local'],
    ['ff02::1', 'multicast'],
    ['fec0::1', 'site-local'],
    ['::ffff:10.0.0.1', 'mapped private'],
    ['::ffff:169.254.169.254', 'mapped link-local'],
    ['::ffff:a9fe:a9fe', 'mapped link-local, hex'],
    ['::ffff:0.0.0.0', 'mapped unspecified'],
    ['::127.0.0.1', 'compatible'],
    ['::7f00:1', 'compatible, hex'],
    ['::8.8.8.8', 'compatible (deprecated, never public)'],
    ['::ffff:0:7f00:1', 'IPv4-translated'],
    ['64:ff9b::127.0.0.1', 'NAT64 of loopback'],
    ['64:ff9b::a00:1', 'NAT64 of private'],
    ['64:ff9b::a9fe:a9fe', 'NAT64 of metadata'],
    ['64:ff9b:1::808:808', 'local-use NAT64'],
    ['2002:7f00:1::', '6to4 of loopback'],
    ['2002:a00:1::1', '6to4 of private'],
    ['2002:c0a8:101::1', '6to4 of private'],
    ['2001::1', 'Teredo'],
    ['2001:db8::1', 'documentation'],
    ['3fff::1', 'documentation'],
    ['100::1', 'discard'],
    ['not an address', 'unreadable'],
    ['1.2.3', 'unreadable'],
    ['127.1', 'not canonical: only resolved addresses reach the classifier'],
  ])('%s is internal (%s)', (address) => {
    expect(classifyAddress(address)).toBe('internal');
  });
});

describe('host names', () => {
  it.each(['localhost', 'LOCALHOST', 'localhost.', 'a.localhost', 'x.y.LOCALHOST.'])(
    '%s is loopback',
    (name) => {
      expect(isLoopbackName(name)).toBe(true);
    },
  );
  it.each([
    'metadata.google.internal',
    'metadata.google.internal.',
    'METADATA.GOOGLE.INTERNAL',
    'metadata',
    'link-service',
    'printer.local',
    'router.home.arpa',
    'vm',
  ])('%s is internal', (name) => {
    expect(isInternalName(name)).toBe(true);
  });
  it.each(['hooks.example.com', 'acme.freshdesk.com', 'taskrouter.twilio.com', 'localhost.example.com'])(
    '%s may be called',
    (name) => {
      expect(isInternalName(name)).toBe(false);
      expect(isLoopbackName(name)).toBe(false);
    },
  );
});
