import { createPrivateKey, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { ConnectionOptions } from '@temporalio/client';
import type { NativeConnectionOptions } from '@temporalio/worker';

/** A PEM file named by a variable, read once at start-up. */
export interface PemFile {
  path: string;
  pem: Buffer;
}

/** How hookflow reaches a Temporal cluster or Temporal Cloud: TLS, mutual TLS, an API key. */
export interface TemporalConnectionSettings {
  address?: string;
  namespace: string;
  /** undefined = plain text; `{}` = TLS with the system's trust store. */
  tls?: {
    /** The client certificate and key for mutual TLS (Temporal Cloud's mTLS, a self-hosted cluster's). */
    clientCert?: PemFile;
    clientKey?: PemFile;
    /** A CA to trust instead of the system's (a private PKI). */
    serverCa?: PemFile;
    /** The name the server's certificate must carry when it differs from the address's host. */
    serverName?: string;
  };
  apiKey?: string;
}

export type PemKind = 'certificate' | 'private key';

/** Reads a PEM file and checks it parses as what it should be; a problem is a sentence for the operator. */
export function readPem(path: string, kind: PemKind): { file?: PemFile; problem?: string } {
  let pem: Buffer;
  try {
    pem = readFileSync(path);
  } catch (err) {
    return { problem: `cannot read the file (${(err as NodeJS.ErrnoException).code ?? String(err)})` };
  }
  try {
    if (kind === 'certificate') new X509Certificate(pem);
    else createPrivateKey(pem);
  } catch {
    // The parser's own message may quote the file's bytes; a key must never reach a log.
    return { problem: `is not a PEM ${kind}` };
  }
  return { file: { path, pem } };
}

/** Whether a client key belongs to a client certificate (a mismatch fails only at the TLS handshake otherwise). */
export function keyMatchesCertificate(cert: PemFile, key: PemFile): boolean {
  return new X509Certificate(cert.pem).checkPrivateKey(createPrivateKey(key.pem));
}

/**
 * The options every connection to Temporal uses, the client's (API, migrate) and the worker's alike.
 * With an API key, the namespace also travels as `temporal-namespace` metadata, which Temporal
 * Cloud's API-key endpoints route by.
 */
export function connectionOptions(s: TemporalConnectionSettings): ConnectionOptions & NativeConnectionOptions {
  const tls = s.tls && {
    serverNameOverride: s.tls.serverName,
    serverRootCACertificate: s.tls.serverCa?.pem,
    clientCertPair: s.tls.clientCert && s.tls.clientKey ? { crt: s.tls.clientCert.pem, key: s.tls.clientKey.pem } : undefined,
  };
  return {
    address: s.address ?? 'localhost:7233',
    ...(tls ? { tls } : {}),
    ...(s.apiKey ? { apiKey: s.apiKey, metadata: { 'temporal-namespace': s.namespace } } : {}),
  };
}
