import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { checkAddress, describeRefusal, parseCidrList, type AddressPolicy } from '../../src/security/address-policy';

const strict: AddressPolicy = { allowPrivate: false, allowedCidrs: [] };
const open: AddressPolicy = { allowPrivate: true, allowedCidrs: [] };

// [address, reason under the default policy (undefined = allowed), allowed when allowPrivate=true]
const table: Array<[string, string | undefined, boolean]> = [
  // public
  ['8.8.8.8', undefined, true],
  ['1.1.1.1', undefined, true],
  ['172.32.0.1', undefined, true], // just past 172.16/12
  ['2606:4700::1', undefined, true],
  ['2a00:1450:4001::200e', undefined, true],
  ['::ffff:8.8.8.8', undefined, true],
  ['64:ff9b::808:808', undefined, true], // NAT64 of 8.8.8.8
  // private-class: opened by allowPrivate
  ['127.0.0.1', 'loopback', true],
  ['127.255.255.254', 'loopback', true],
  ['::1', 'loopback', true],
  ['10.0.0.1', 'private', true],
  ['172.16.0.1', 'private', true],
  ['172.31.255.255', 'private', true],
  ['192.168.1.1', 'private', true],
  ['169.254.1.1', 'link-local', true],
  ['fe80::1', 'link-local', true],
  ['fe80::1%eth0', 'link-local', true],
  ['fc00::1', 'unique-local', true],
  ['fd12:3456::1', 'unique-local', true],
  ['fec0::1', 'site-local', true],
  ['100.64.0.1', 'carrier-grade-nat', true],
  ['100.127.255.255', 'carrier-grade-nat', true],
  // IPv4 embedded in IPv6 is judged as the IPv4 host it reaches
  ['::ffff:127.0.0.1', 'loopback', true],
  ['::ffff:7f00:1', 'loopback', true],
  ['0:0:0:0:0:ffff:7f00:1', 'loopback', true],
  ['::ffff:10.1.2.3', 'private', true],
  ['::ffff:0:7f00:1', 'loopback', true], // RFC 6145 IPv4-translated
  ['64:ff9b::7f00:1', 'loopback', true], // NAT64
  ['64:ff9b::a00:1', 'private', true],
  ['2002:7f00:1::1', 'loopback', true], // 6to4
  ['2002:c0a8:101::1', 'private', true],
  // metadata: refused even with allowPrivate
  ['169.254.169.254', 'metadata', false],
  ['169.254.170.2', 'metadata', false],
  ['fd00:ec2::254', 'metadata', false],
  ['100.100.100.200', 'metadata', false],
  ['::ffff:169.254.169.254', 'metadata', false],
  ['::ffff:a9fe:a9fe', 'metadata', false],
  ['64:ff9b::a9fe:a9fe', 'metadata', false],
  ['2002:a9fe:a9fe::', 'metadata', false],
  // never a receiver: only an allowed CIDR opens these
  ['0.0.0.0', 'unspecified', false],
  ['0.1.2.3', 'unspecified', false],
  ['::', 'unspecified', false],
  ['::ffff:0.0.0.0', 'unspecified', false],
  ['255.255.255.255', 'broadcast', false],
  ['224.0.0.1', 'multicast', false],
  ['239.255.255.250', 'multicast', false],
  ['ff02::1', 'multicast', false],
  ['192.0.2.1', 'reserved', false], // TEST-NET-1
  ['198.51.100.7', 'reserved', false], // TEST-NET-2
  ['203.0.113.9', 'reserved', false], // TEST-NET-3
  ['198.18.0.1', 'reserved', false], // benchmarking
  ['240.0.0.1', 'reserved', false],
  ['2001:db8::1', 'reserved', false], // documentation
  ['2001::1', 'reserved', false], // Teredo
  ['::7f00:1', 'reserved', false], // deprecated IPv4-compatible, outside 2000::/3
  ['64:ff9b:1::a00:1', 'reserved', false], // local-use NAT64, embedding unknown
  ['100::1', 'reserved', false], // discard-only
  // not addresses at all
  ['localhost', 'invalid', false],
  ['', 'invalid', false],
  ['[::1]', 'invalid', false],
  ['2130706433', 'invalid', false],
];

void describe('checkAddress', () => {
  for (const [ip, reason, allowedWhenOpen] of table) {
    void it(`${ip || '(empty)'}: ${reason ?? 'allowed'} by default, ${allowedWhenOpen ? 'allowed' : 'refused'} with allowPrivate`, () => {
      assert.deepEqual(checkAddress(ip, strict), reason === undefined ? { allowed: true } : { allowed: false, reason });
      assert.equal(checkAddress(ip, open).allowed, allowedWhenOpen);
    });
  }

  void it('allowedCidrs opens exactly the listed range', () => {
    const policy: AddressPolicy = { allowPrivate: false, allowedCidrs: ['10.1.0.0/16', 'fd00:1::/32'] };
    assert.deepEqual(checkAddress('10.1.200.3', policy), { allowed: true });
    assert.deepEqual(checkAddress('::ffff:10.1.200.3', policy), { allowed: true });
    assert.deepEqual(checkAddress('fd00:1::5', policy), { allowed: true });
    assert.deepEqual(checkAddress('10.2.0.1', policy), { allowed: false, reason: 'private' });
    assert.deepEqual(checkAddress('fd00:2::5', policy), { allowed: false, reason: 'unique-local' });
    assert.deepEqual(checkAddress('127.0.0.1', policy), { allowed: false, reason: 'loopback' });
  });

  void it('metadata is opened only by an explicit allowedCidrs entry', () => {
    assert.deepEqual(checkAddress('169.254.169.254', { allowPrivate: true, allowedCidrs: ['10.0.0.0/8'] }), {
      allowed: false,
      reason: 'metadata',
    });
    assert.deepEqual(checkAddress('169.254.169.254', { allowPrivate: false, allowedCidrs: ['169.254.169.254/32'] }), {
      allowed: true,
    });
    assert.deepEqual(checkAddress('::ffff:169.254.169.254', { allowPrivate: false, allowedCidrs: ['169.254.169.254'] }), {
      allowed: true,
    });
    // A broad range that happens to contain a metadata host opens its neighbours, not the host.
    assert.deepEqual(checkAddress('169.254.1.1', { allowPrivate: false, allowedCidrs: ['169.254.0.0/16'] }), { allowed: true });
    assert.deepEqual(checkAddress('169.254.169.254', { allowPrivate: false, allowedCidrs: ['169.254.0.0/16'] }), {
      allowed: false,
      reason: 'metadata',
    });
    assert.deepEqual(checkAddress('100.100.100.200', { allowPrivate: false, allowedCidrs: ['0.0.0.0/0'] }), {
      allowed: false,
      reason: 'metadata',
    });
    assert.deepEqual(checkAddress('fd00:ec2::254', { allowPrivate: true, allowedCidrs: ['fd00::/8'] }), {
      allowed: false,
      reason: 'metadata',
    });
  });

  void it('allowedCidrs can open ranges allowPrivate never opens', () => {
    assert.deepEqual(checkAddress('198.18.0.1', { allowPrivate: true, allowedCidrs: [] }), { allowed: false, reason: 'reserved' });
    assert.deepEqual(checkAddress('198.18.0.1', { allowPrivate: false, allowedCidrs: ['198.18.0.0/15'] }), { allowed: true });
  });

  void it('a bad allowedCidrs entry throws instead of silently allowing or refusing', () => {
    assert.throws(() => checkAddress('8.8.8.8', { allowPrivate: false, allowedCidrs: ['10/8'] }), /invalid CIDR "10\/8"/);
  });
});

void describe('parseCidrList', () => {
  void it('parses IPv4, IPv6 and bare addresses', () => {
    const parsed = parseCidrList(['10.0.0.0/8', ' fd00::/8 ', '192.168.1.5', '::1']);
    assert.deepEqual(
      parsed.map(([addr, bits]) => `${addr.toString()}/${bits}`),
      ['10.0.0.0/8', 'fd00::/8', '192.168.1.5/32', '::1/128'],
    );
  });

  for (const [bad, message] of [
    ['10/8', /"10" is not an IPv4 or IPv6 address/], // ipaddr.js alone would read this as 0.0.0.10/8
    ['10.0.0.0/33', /prefix length must be a number from 0 to 32/],
    ['fd00::/129', /from 0 to 128/],
    ['10.0.0.0/', /prefix length/],
    ['10.0.0.0/-1', /prefix length/],
    ['example.com/24', /not an IPv4 or IPv6 address/],
    ['', /not an IPv4 or IPv6 address/],
  ] as const) {
    void it(`rejects ${JSON.stringify(bad)}`, () => {
      assert.throws(() => parseCidrList(['10.0.0.0/8', bad]), (err: Error) => {
        assert.match(err.message, new RegExp(`invalid CIDR ${JSON.stringify(bad).replace(/[/\\.]/g, '\\$&')}`));
        assert.match(err.message, message);
        return true;
      });
    });
  }
});

void describe('describeRefusal', () => {
  void it('names the setting that would open the address', () => {
    assert.match(describeRefusal('loopback'), /^a loopback address; .*HOOKFLOW_ALLOW_PRIVATE_URLS=true/);
    assert.match(describeRefusal('metadata'), /even with HOOKFLOW_ALLOW_PRIVATE_URLS=true unless listed in HOOKFLOW_ALLOWED_CIDRS/);
    assert.doesNotMatch(describeRefusal('multicast'), /ALLOW_PRIVATE/);
  });
});

void describe('properties', () => {
  const octet = fc.integer({ min: 0, max: 255 });
  const privateV4 = fc.oneof(
    fc.tuple(fc.constant(10), octet, octet, octet),
    fc.tuple(fc.constant(127), octet, octet, octet),
    fc.tuple(fc.constant(192), fc.constant(168), octet, octet),
  );
  const hex = (hi: number, lo: number) => ((hi << 8) | lo).toString(16);

  void it('10/8, 127/8 and 192.168/16 are refused by default, also in IPv4-mapped IPv6 form', () => {
    fc.assert(
      fc.property(privateV4, ([a, b, c, d]) => {
        const dotted = `${a}.${b}.${c}.${d}`;
        for (const form of [dotted, `::ffff:${dotted}`, `::ffff:${hex(a, b)}:${hex(c, d)}`]) {
          const verdict = checkAddress(form, strict);
          assert.equal(verdict.allowed, false, form);
          assert.ok(!verdict.allowed && (verdict.reason === 'private' || verdict.reason === 'loopback'), form);
        }
      }),
      { numRuns: 500 },
    );
  });

  void it('every IPv4 address gets the same verdict in its mapped, NAT64 and 6to4 forms', () => {
    fc.assert(
      fc.property(fc.tuple(octet, octet, octet, octet), fc.boolean(), ([a, b, c, d], allowPrivate) => {
        const policy: AddressPolicy = { allowPrivate, allowedCidrs: [] };
        const expected = checkAddress(`${a}.${b}.${c}.${d}`, policy);
        const w1 = hex(a, b);
        const w2 = hex(c, d);
        for (const form of [`::ffff:${w1}:${w2}`, `64:ff9b::${w1}:${w2}`, `2002:${w1}:${w2}::1`]) {
          assert.deepEqual(checkAddress(form, policy), expected, form);
        }
      }),
      { numRuns: 1000 },
    );
  });
});
