import ipaddr from 'ipaddr.js';
import { isIP } from 'node:net';

/** Which destination addresses outgoing webhook deliveries may reach. */
export type AddressPolicy = {
  /** HOOKFLOW_ALLOW_PRIVATE_URLS: opens loopback/RFC1918/link-local/ULA/CGNAT, never metadata. */
  allowPrivate: boolean;
  /** HOOKFLOW_ALLOWED_CIDRS: explicit exceptions; metadata hosts only open when listed as a single host. */
  allowedCidrs: string[];
};

export type RefusalReason =
  | 'metadata'
  | 'loopback'
  | 'private'
  | 'link-local'
  | 'unique-local'
  | 'site-local'
  | 'carrier-grade-nat'
  | 'unspecified'
  | 'broadcast'
  | 'multicast'
  | 'reserved'
  | 'invalid';

export type AddressVerdict = { allowed: true } | { allowed: false; reason: RefusalReason };

type IP = ipaddr.IPv4 | ipaddr.IPv6;
export type Cidr = [IP, number];

const ALLOWED: AddressVerdict = { allowed: true };

// The reasons HOOKFLOW_ALLOW_PRIVATE_URLS opens: addresses a self-hosted receiver may legitimately
// live on. Unspecified/multicast/broadcast/reserved never host a webhook receiver (and 0.0.0.0
// connects to the local host on Linux), so only an explicit allowed CIDR opens those.
const PRIVATE_REASONS: ReadonlySet<RefusalReason> = new Set<RefusalReason>([
  'loopback',
  'private',
  'link-local',
  'unique-local',
  'site-local',
  'carrier-grade-nat',
]);

// Metadata endpoints hand out the host's cloud credentials. HOOKFLOW_ALLOW_PRIVATE_URLS exists so
// that dev and on-prem setups can reach receivers on localhost or the LAN; flipping it must not
// also let any API client point a subscription at the credential service and read the answer back
// from the stored response body. So only an explicit HOOKFLOW_ALLOWED_CIDRS entry opens these.
const METADATA_CIDRS: readonly Cidr[] = [
  '169.254.169.254/32', // AWS, GCP, Azure, OCI, DigitalOcean, OpenStack instance metadata
  '169.254.170.2/32', // AWS ECS task role credentials
  '169.254.170.23/32', // AWS EKS Pod Identity agent
  'fd00:ec2::254/128', // AWS instance metadata over IPv6
  'fd00:ec2::23/128', // AWS EKS Pod Identity agent over IPv6
  '100.100.100.200/32', // Alibaba Cloud metadata (inside CGNAT space, so it must be checked first)
  '168.63.129.16/32', // Azure WireServer: a public-looking address that serves host-platform data
].map((c) => ipaddr.parseCIDR(c));

// IPv6 space outside 2000::/3 that ipaddr.js still calls 'unicast' is unallocated or deprecated
// (e.g. IPv4-compatible ::7f00:1); nothing legitimate lives there.
const GLOBAL_UNICAST_V6 = ipaddr.parseCIDR('2000::/3');

const V4_REASONS: Readonly<Record<string, RefusalReason>> = {
  private: 'private',
  loopback: 'loopback',
  linkLocal: 'link-local',
  carrierGradeNat: 'carrier-grade-nat',
  unspecified: 'unspecified',
  broadcast: 'broadcast',
  multicast: 'multicast',
};

const V6_REASONS: Readonly<Record<string, RefusalReason>> = {
  loopback: 'loopback',
  linkLocal: 'link-local',
  uniqueLocal: 'unique-local',
  deprecatedSiteLocal: 'site-local',
  unspecified: 'unspecified',
  multicast: 'multicast',
};

/**
 * Parses CIDRs such as HOOKFLOW_ALLOWED_CIDRS. A bare address means a single host (/32 or /128).
 * Throws on the first bad entry, naming it.
 */
export function parseCidrList(list: readonly string[]): Cidr[] {
  return list.map((entry) => {
    const text = entry.trim();
    const slash = text.lastIndexOf('/');
    const address = slash === -1 ? text : text.slice(0, slash);
    // ipaddr.js also accepts legacy IPv4 forms, so "10/8" would silently mean 0.0.0.10/8; insisting
    // on what node:net accepts keeps an operator's typo from opening the wrong range.
    const family = isIP(address);
    if (family === 0) {
      throw new Error(`invalid CIDR "${entry}": "${address}" is not an IPv4 or IPv6 address (expected e.g. 10.0.0.0/8 or fd00::/8)`);
    }
    const max = family === 4 ? 32 : 128;
    const prefix = slash === -1 ? String(max) : text.slice(slash + 1);
    if (!/^\d{1,3}$/.test(prefix) || Number(prefix) > max) {
      throw new Error(`invalid CIDR "${entry}": prefix length must be a number from 0 to ${max}`);
    }
    return ipaddr.parseCIDR(`${address}/${Number(prefix)}`);
  });
}

/** Decides whether a delivery may connect to `ip` (a bare address, no brackets or port). */
export function checkAddress(ip: string, policy: AddressPolicy): AddressVerdict {
  if (isIP(ip) === 0) return { allowed: false, reason: 'invalid' };
  // Re-parsing the allow-list per call costs microseconds next to the DNS lookup and TCP handshake
  // it guards, and keeps the policy a plain config value.
  return classify(ipaddr.parse(ip), parseCidrList(policy.allowedCidrs), policy.allowPrivate);
}

function classify(addr: IP, allowed: readonly Cidr[], allowPrivate: boolean): AddressVerdict {
  if (inAny(addr, METADATA_CIDRS)) {
    // Only an entry naming the host itself counts: an operator opening 169.254.0.0/16 for some
    // link-local appliance, or 0.0.0.0/0 for a lab, should not hand out credentials by accident.
    const named = allowed.some((cidr) => cidr[1] === (cidr[0].kind() === 'ipv4' ? 32 : 128) && matches(addr, cidr));
    return named ? ALLOWED : { allowed: false, reason: 'metadata' };
  }
  if (inAny(addr, allowed)) return ALLOWED;
  if (addr instanceof ipaddr.IPv6) {
    // Mapped, NAT64 and 6to4 addresses reach an IPv4 host, so that host is what gets judged.
    const embedded = embeddedIPv4(addr);
    if (embedded) return classify(embedded, allowed, allowPrivate);
  }
  const reason = rangeReason(addr);
  if (reason === undefined) return ALLOWED;
  if (allowPrivate && PRIVATE_REASONS.has(reason)) return ALLOWED;
  return { allowed: false, reason };
}

function inAny(addr: IP, cidrs: readonly Cidr[]): boolean {
  return cidrs.some((cidr) => matches(addr, cidr));
}

// ipaddr.js throws when asked to match an IPv4 address against an IPv6 range or vice versa.
function matches(addr: IP, cidr: Cidr): boolean {
  return cidr[0].kind() === addr.kind() && addr.match(cidr);
}

function embeddedIPv4(addr: ipaddr.IPv6): ipaddr.IPv4 | undefined {
  const range: string = addr.range();
  const p = addr.parts;
  if (range === 'ipv4Mapped') return addr.toIPv4Address();
  // rfc6052 also covers the local-use 64:ff9b:1::/48, whose embedding depends on the operator's
  // prefix length; only the well-known /96 has the IPv4 address in the last 32 bits.
  if ((range === 'rfc6052' && p[2] === 0) || range === 'rfc6145') return v4FromWords(p[6], p[7]);
  if (range === '6to4') return v4FromWords(p[1], p[2]);
  return undefined;
}

function v4FromWords(high = 0, low = 0): ipaddr.IPv4 {
  return new ipaddr.IPv4([high >> 8, high & 0xff, low >> 8, low & 0xff]);
}

// Everything ipaddr.js does not call ordinary unicast is refused, so special-purpose ranges that a
// future ipaddr.js release learns about are refused too rather than slipping through.
function rangeReason(addr: IP): RefusalReason | undefined {
  const range: string = addr.range();
  if (addr instanceof ipaddr.IPv4) {
    return range === 'unicast' ? undefined : (V4_REASONS[range] ?? 'reserved');
  }
  if (range === 'unicast') return addr.match(GLOBAL_UNICAST_V6) ? undefined : 'reserved';
  return V6_REASONS[range] ?? 'reserved';
}

const LABELS: Record<RefusalReason, string> = {
  metadata: 'a cloud metadata address',
  loopback: 'a loopback address',
  private: 'a private (RFC 1918) address',
  'link-local': 'a link-local address',
  'unique-local': 'a unique-local (fc00::/7) address',
  'site-local': 'a site-local (fec0::/10) address',
  'carrier-grade-nat': 'a carrier-grade NAT (100.64.0.0/10) address',
  unspecified: 'an unspecified address',
  broadcast: 'a broadcast address',
  multicast: 'a multicast address',
  reserved: 'a reserved or special-purpose address',
  invalid: 'not a valid IP address',
};

/** "a loopback address; private addresses are refused unless ..." — for API errors and logs. */
export function describeRefusal(reason: RefusalReason): string {
  const label = LABELS[reason];
  if (reason === 'invalid') return label;
  if (reason === 'metadata') {
    return `${label}; refused even with HOOKFLOW_ALLOW_PRIVATE_URLS=true unless listed in HOOKFLOW_ALLOWED_CIDRS`;
  }
  if (PRIVATE_REASONS.has(reason)) {
    return `${label}; private addresses are refused unless HOOKFLOW_ALLOW_PRIVATE_URLS=true or the range is listed in HOOKFLOW_ALLOWED_CIDRS`;
  }
  return `${label}; refused unless listed in HOOKFLOW_ALLOWED_CIDRS`;
}
