// HOOKFLOW_EGRESS_PROXY: every delivery leaves through one forward proxy, so receivers can allowlist
// the proxy's static addresses. Plain-http deliveries are sent to the proxy as absolute-URI requests
// (the proxy logs each one); https deliveries go through a CONNECT tunnel, TLS end to end with the
// endpoint. The SSRF guard still judges the destination, by the addresses its name resolves to,
// before the request is handed to the proxy; the proxy resolves the name again itself, so it must
// refuse internal destinations too (docs/egress-proxy.md says what it must enforce).
import { isIP } from 'node:net';
import { Dispatcher, ProxyAgent } from 'undici';
import { checkAddress, type AddressPolicy } from './address-policy';
import { AddressNotAllowedError } from './guarded-agent';
import { lookupAll } from './url-guard';

export const EGRESS_PROXY_FORMAT = 'must be http://host:port (an HTTP forward proxy; https destinations are tunnelled with CONNECT)';

/** Problems of a HOOKFLOW_EGRESS_PROXY value; messages never repeat the value (it may hold credentials). */
export function egressProxyProblems(value: string): string[] {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return [EGRESS_PROXY_FORMAT];
  }
  if (url.protocol !== 'http:') return [`${EGRESS_PROXY_FORMAT}, not ${url.protocol.replace(/:$/, '')}`];
  if (url.hostname === '') return [EGRESS_PROXY_FORMAT];
  if ((url.pathname !== '/' && url.pathname !== '') || url.search !== '' || url.hash !== '') return [`${EGRESS_PROXY_FORMAT}, without a path or query`];
  return [];
}

/** Refuses a destination whose host is, or resolves to, an address the policy does not allow. */
export async function checkDestination(hostname: string, policy: AddressPolicy): Promise<void> {
  const host = hostname.replace(/^\[(.*)\]$/, '$1');
  const addresses = isIP(host) !== 0 ? [host] : (await lookupAll(host)).map((a) => a.address);
  for (const address of addresses) {
    const verdict = checkAddress(address, policy);
    if (!verdict.allowed) throw new AddressNotAllowedError(address, verdict.reason, host === address ? undefined : host);
  }
}

export interface EgressProxyOptions {
  proxyUrl: string;
  policy: AddressPolicy;
  connectTimeoutMs: number;
  keepAliveTimeoutMs?: number;
  /** TLS options towards https endpoints (tests trust their own certificate authority here). */
  requestTls?: { ca?: string | Buffer };
}

/**
 * The delivery agent when HOOKFLOW_EGRESS_PROXY is set (instead of the guarded agent). Redirects are not followed, as
 * without a proxy. Connections to the proxy itself are not judged by the address policy: the
 * operator chose that address.
 */
export class EgressProxyAgent extends Dispatcher {
  private readonly proxy: ProxyAgent;

  constructor(private readonly opts: EgressProxyOptions) {
    super();
    this.proxy = new ProxyAgent({
      uri: opts.proxyUrl,
      // http destinations as absolute-URI requests, which every forward proxy logs and filters by URL.
      proxyTunnel: false,
      pipelining: 1,
      connectTimeout: opts.connectTimeoutMs,
      ...(opts.keepAliveTimeoutMs !== undefined ? { keepAliveTimeout: opts.keepAliveTimeoutMs } : {}),
      ...(opts.requestTls ? { requestTls: opts.requestTls } : {}),
    });
  }

  override dispatch(options: Dispatcher.DispatchOptions, handler: Dispatcher.DispatchHandler): boolean {
    const origin = new URL(String(options.origin));
    checkDestination(origin.hostname, this.opts.policy).then(
      () => this.proxy.dispatch(options, handler),
      (err: unknown) => fail(handler, err as Error),
    );
    return true;
  }

  override close(): Promise<void>;
  override close(callback: () => void): void;
  override close(callback?: () => void): Promise<void> | void {
    const closed = this.proxy.close();
    if (!callback) return closed;
    void closed.then(callback, callback);
  }

  override destroy(): Promise<void>;
  override destroy(err: Error | null): Promise<void>;
  override destroy(callback: () => void): void;
  override destroy(err: Error | null, callback: () => void): void;
  override destroy(errOrCallback?: Error | null | (() => void), callback?: () => void): Promise<void> | void {
    const err = typeof errOrCallback === 'function' ? null : (errOrCallback ?? null);
    const cb = typeof errOrCallback === 'function' ? errOrCallback : callback;
    const destroyed = this.proxy.destroy(err);
    if (!cb) return destroyed;
    void destroyed.then(cb, cb);
  }
}

/** Ends a request that never reached the proxy, through whichever handler interface the caller used. */
function fail(handler: Dispatcher.DispatchHandler, err: Error): void {
  const h = handler as { onError?: (err: Error) => void; onResponseError?: (controller: unknown, err: Error) => void };
  if (typeof h.onError === 'function') h.onError(err);
  else h.onResponseError?.(null, err);
}
