// An independent v1a check for the tests: tweetnacl's Ed25519, fed only the whpk_ key and the headers,
// so a delivery verifies here without any of hookflow's own signing code.
import nacl from 'tweetnacl';

/** True when one of the `v1a,` tokens of the signature header is a valid signature by `publicKey`. */
export function naclVerifies(publicKey: string, headers: Record<string, string | string[] | undefined>, body: string | Buffer): boolean {
  const header = [headers['webhook-signature']].flat().join(' ');
  const signed = Buffer.concat([Buffer.from(`${String(headers['webhook-id'])}.${String(headers['webhook-timestamp'])}.`), Buffer.from(body)]);
  const key = Buffer.from(publicKey.replace(/^whpk_/, ''), 'base64');
  return header
    .split(' ')
    .filter((t) => t.startsWith('v1a,'))
    .some((t) => nacl.sign.detached.verify(signed, Buffer.from(t.slice(4), 'base64'), key));
}
