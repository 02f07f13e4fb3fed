// Which addresses a tenant-chosen URL may reach. Uplink calls hosts its tenants typed in; without
// this, a tenant could make it call its own internals (other services, the cloud's metadata
// endpoint, the cluster network) and read the answers back. Only public unicast addresses pass;
// loopback passes only when the operator allows it (development and tests).

import { isIP } from 'node:net';

/** `public`: may be called. `loopback`: this machine, only with the operator's allowance. */
export type AddressClass = 'public' | 'loopback' | 'internal';

type Ipv4Range = readonly [first: number, prefixLength: number];

const ipv4 = (dotted: string, prefixLength: number): Ipv4Range => [ipv4Number(dotted) ?? 0, prefixLength];

/** IANA's special-purpose IPv4 ranges (RFC 6890 and later) that are not public unicast. */
const INTERNAL_IPV4: readonly Ipv4Range[] = [
  ipv4('0.0.0.0', 8), // "this network", 0.0.0.0 (unspecified)
  ipv4('10.0.0.0', 8), // private
  ipv4('100.64.0.0', 10), // carrier-grade NAT
  ipv4('169.254.0.0', 16), // link-local, cloud metadata endpoints
  ipv4('172.16.0.0', 12), // private
  ipv4('192.0.0.0', 24), // IETF protocol assignments
  ipv4('192.0.2.0', 24), // documentation
  ipv4('192.31.196.0', 24), // AS112
  ipv4('192.52.193.0', 24), // AMT
  ipv4('192.88.99.0', 24), // 6to4 relay anycast
  ipv4('192.168.0.0', 16), // private
  ipv4('192.175.48.0', 24), // AS112 direct delegation
  ipv4('198.18.0.0', 15), // benchmarking
  ipv4('198.51.100.0', 24), // documentation
  ipv4('203.0.113.0', 24), // documentation
  ipv4('224.0.0.0', 4), // multicast
  ipv4('240.0.0.0', 4), // reserved, and 255.255.255.255 (broadcast)
];
const LOOPBACK_IPV4 = ipv4('127.0.0.0', 8);

/** The class of an IP address (v4 dotted, or v6 in any textual form); `internal` for anything unreadable. */
export function classifyAddress(address: string): AddressClass {
  const bare = address.replace(/^\[(.*)\]$/, '$1');
  const version = isIP(bare);
  if (version === 4) return classifyIpv4(ipv4Number(bare));
  if (version === 6) return classifyIpv6(ipv6Groups(bare));
  return 'internal';
}

function classifyIpv4(value: number | undefined): AddressClass {
  if (value === undefined) return 'internal';
  if (inIpv4Range(value, LOOPBACK_IPV4)) return 'loopback';
  return INTERNAL_IPV4.some((range) => inIpv4Range(value, range)) ? 'internal' : 'public';
}

function classifyIpv6(groups: number[] | undefined): AddressClass {
  if (groups === undefined) return 'internal';
  const [g0 = 0, g1 = 0, g2 = 0, g3 = 0, g4 = 0, g5 = 0, g6 = 0, g7 = 0] = groups;
  const embeddedIpv4 = (g6 * 0x10000 + g7) >>> 0;
  const zeroUpTo = (count: number) => groups.slice(0, count).every((group) => group === 0);
  if (zeroUpTo(7) && g7 === 1) return 'loopback'; // ::1
  // ::ffff:a.b.c.d — the socket really talks IPv4 to a.b.c.d.
  if (zeroUpTo(5) && g5 === 0xffff) return classifyIpv4(embeddedIpv4);
  // NAT64's well-known prefix 64:ff9b::/96 reaches the embedded IPv4 address through a gateway:
  // as public as that address, never loopback (that would be the gateway's own).
  if (g0 === 0x64 && g1 === 0xff9b && g2 === 0 && g3 === 0 && g4 === 0 && g5 === 0) {
    return classifyIpv4(embeddedIpv4) === 'public' ? 'public' : 'internal';
  }
  // 6to4 (2002::/16) carries an IPv4 address in its next 32 bits.
  if (g0 === 0x2002) return classifyIpv4((g1 * 0x10000 + g2) >>> 0) === 'public' ? 'public' : 'internal';
  // Only global unicast (2000::/3) is public; that excludes ::, ::a.b.c.d (compatible), link-local
  // fe80::/10, unique-local fc00::/7, multicast ff00::/8, 64:ff9b:1::/48 (local NAT64), 100::/64.
  if ((g0 & 0xe000) !== 0x2000) return 'internal';
  // Inside it: 2001::/23 (IETF protocol assignments: Teredo, benchmarking, ORCHID...),
  // 2001:db8::/32 and 3fff::/20 (documentation).
  if (g0 === 0x2001 && g1 < 0x200) return 'internal';
  if (g0 === 0x2001 && g1 === 0xdb8) return 'internal';
  if (g0 === 0x3fff && g1 < 0x1000) return 'internal';
  return 'public';
}

function inIpv4Range(value: number, [first, prefixLength]: Ipv4Range): boolean {
  const mask = prefixLength === 0 ? 0 : (0xffffffff << (32 - prefixLength)) >>> 0;
  return (value & mask) >>> 0 === (first & mask) >>> 0;
}

function ipv4Number(dotted: string): number | undefined {
  const parts = dotted.split('.');
  if (parts.length !== 4) return undefined;
  let value = 0;
  for (const part of parts) {
    if (!/^\d{1,3}$/.test(part) || Number(part) > 255) return undefined;
    value = value * 256 + Number(part);
  }
  return value;
}

/** The eight 16-bit groups of an IPv6 address (a zone id is ignored); undefined when malformed. */
function ipv6Groups(text: string): number[] | undefined {
  let address = text.split('%')[0] ?? '';
  // A dotted IPv4 tail (::ffff:127.0.0.1) becomes two groups.
  const tail = /(\d+\.\d+\.\d+\.\d+)$/.exec(address);
  if (tail?.[1] !== undefined) {
    const value = ipv4Number(tail[1]);
    if (value === undefined) return undefined;
    address = `${address.slice(0, -tail[1].length)}${(value >>> 16).toString(16)}:${(value & 0xffff).toString(16)}`;
  }
  const halves = address.split('::');
  if (halves.length > 2) return undefined;
  const parse = (half: string | undefined) => (half ? half.split(':') : []);
  const head = parse(halves[0]);
  const rest = parse(halves[1]);
  const missing = 8 - head.length - rest.length;
  if (halves.length === 1 ? missing !== 0 : missing < 1) return undefined;
  const groups = [...head, ...Array<string>(halves.length === 2 ? missing : 0).fill('0'), ...rest];
  if (!groups.every((group) => /^[0-9a-fA-F]{1,4}$/.test(group))) return undefined;
  return groups.map((group) => Number.parseInt(group, 16));
}

/** Names that are this machine, whatever DNS says. */
export function isLoopbackName(hostname: string): boolean {
  const name = hostname.toLowerCase().replace(/\.$/, '');
  return name === 'localhost' || name.endsWith('.localhost');
}

/**
 * Names that never lead to the public internet: single labels (resolved through the machine's
 * search domains, e.g. a Kubernetes service), and the suffixes reserved for private use
 * (`.internal`, as in metadata.google.internal; `.local`; `.home.arpa`; `.lan`).
 */
export function isInternalName(hostname: string): boolean {
  const name = hostname.toLowerCase().replace(/\.$/, '');
  if (!name.includes('.')) return !isLoopbackName(name);
  return /\.(internal|local|localdomain|lan|intranet|corp|home\.arpa)$/.test(name);
}
