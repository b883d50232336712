import dns from 'node:dns';
import net, { type LookupFunction } from 'node:net';
import { Agent, buildConnector } from 'undici';
import { checkAddress, describeRefusal, parseCidrList, type AddressPolicy, type RefusalReason } from './address-policy';

export const ADDRESS_NOT_ALLOWED_CODE = 'ERR_HOOKFLOW_ADDRESS_NOT_ALLOWED';

/** A delivery was stopped before connecting; retrying cannot help until the URL or policy changes. */
export class AddressNotAllowedError extends Error {
  readonly code = ADDRESS_NOT_ALLOWED_CODE;
  override readonly name = 'AddressNotAllowedError';

  constructor(
    readonly address: string,
    readonly reason: RefusalReason,
    readonly hostname?: string,
  ) {
    const via = hostname !== undefined && hostname !== address ? ` (resolved from ${hostname})` : '';
    super(`refusing to connect to ${address}${via}: ${describeRefusal(reason)}`);
  }
}

/**
 * undici hands the connector's error to request() unchanged today; the cause/AggregateError walk
 * keeps this working if a caller or a future undici wraps it. The code check covers a second copy
 * of this module (e.g. a bundled worker) where instanceof would fail.
 */
export function isAddressNotAllowedError(err: unknown): boolean {
  const seen = new Set<unknown>();
  const pending: unknown[] = [err];
  while (pending.length > 0) {
    const e = pending.pop();
    if (typeof e !== 'object' || e === null || seen.has(e)) continue;
    seen.add(e);
    if (e instanceof AddressNotAllowedError || (e as { code?: unknown }).code === ADDRESS_NOT_ALLOWED_CODE) return true;
    pending.push((e as { cause?: unknown }).cause);
    if (e instanceof AggregateError) pending.push(...(e.errors as unknown[]));
  }
  return false;
}

/**
 * A dns.lookup replacement for net/tls.connect that refuses a name if any of its addresses is
 * disallowed. Refusing the whole name rather than filtering keeps the decision the same as at
 * registration and stops a rebinding name from mixing in one internal address.
 */
export function createGuardedLookup(policy: AddressPolicy): LookupFunction {
  return (hostname, options, callback) => {
    // Always ask for every address; net asks for all:true only when happy-eyeballs is on.
    dns.lookup(hostname, { ...options, all: true }, (err, addresses) => {
      if (err) return callback(err, '');
      for (const { address } of addresses) {
        const verdict = checkAddress(address, policy);
        if (!verdict.allowed) return callback(new AddressNotAllowedError(address, verdict.reason, hostname), '');
      }
      const first = addresses[0];
      if (options.all) return callback(null, addresses);
      if (first === undefined) {
        return callback(Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' }), '');
      }
      callback(null, first.address, first.family);
    });
  };
}

function createGuardedConnector(policy: AddressPolicy, connectTimeoutMs: number): buildConnector.connector {
  const connect = buildConnector({ timeout: connectTimeoutMs, lookup: createGuardedLookup(policy) });
  return (options, callback) => {
    // net.connect never calls `lookup` for an IP literal, so literals are judged here. undici has
    // already stripped the brackets from IPv6 hosts.
    if (net.isIP(options.hostname) !== 0) {
      const verdict = checkAddress(options.hostname, policy);
      if (!verdict.allowed) return callback(new AddressNotAllowedError(options.hostname, verdict.reason), null);
    }
    connect(options, (err, socket) => {
      if (err !== null) return callback(err, null);
      // Backstop for any path that reaches a socket without the checks above: nothing has been
      // written yet (for https only the TLS handshake), so closing now still prevents the request.
      const remote = socket.remoteAddress ?? '';
      const verdict = checkAddress(remote, policy);
      if (verdict.allowed) return callback(null, socket);
      socket.destroy();
      callback(new AddressNotAllowedError(remote, verdict.reason, net.isIP(options.hostname) === 0 ? options.hostname : undefined), null);
    });
  };
}

export type GuardedAgentOptions = {
  policy: AddressPolicy;
  connectTimeoutMs: number;
  /** Cap on parallel connections to one origin; undefined leaves undici's default (no cap). */
  connectionsPerOrigin?: number;
  /** How long an idle connection is kept for reuse (undici default 4s if unset). */
  keepAliveTimeoutMs?: number;
};

/**
 * The undici Agent every delivery goes through. No redirect interceptor is composed in, so a 3xx
 * is returned to the caller as-is (following it would bypass registration checks and re-send a
 * signed payload to an unvetted location).
 */
export function createGuardedAgent(opts: GuardedAgentOptions): Agent {
  parseCidrList(opts.policy.allowedCidrs); // fail at startup, not on the first delivery
  return new Agent({
    connect: createGuardedConnector(opts.policy, opts.connectTimeoutMs),
    pipelining: 1, // a slow response must not hold up the next delivery queued behind it
    ...(opts.connectionsPerOrigin !== undefined ? { connections: opts.connectionsPerOrigin } : {}),
    ...(opts.keepAliveTimeoutMs !== undefined ? { keepAliveTimeout: opts.keepAliveTimeoutMs } : {}),
  });
}
