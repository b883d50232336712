import { ApplicationFailure } from '@temporalio/activity';
import { openHeaders, withCustomHeaders, type SealedHeaders } from '../src/endpoint-headers/sealed-headers';
import { SecretUnavailableError, type SecretBox } from '../src/security/secret-box';
import { FailureTypes } from '../workflows/messages';

/**
 * The attempt's request headers: the signed ones plus the subscription's custom headers, opened
 * here, at each attempt, so a changed header applies to the next retry and no value ever enters the
 * activity's input, result or errors. A value that cannot be opened sends nothing (as a secret would).
 */
export function attemptHeaders(box: SecretBox, subscriptionId: string, signed: Record<string, string>, stored: SealedHeaders | null): Record<string, string> {
  if (!stored || Object.keys(stored).length === 0) return withCustomHeaders(signed, {});
  try {
    return withCustomHeaders(signed, openHeaders(box, subscriptionId, stored));
  } catch (err) {
    if (!(err instanceof SecretUnavailableError)) throw err;
    throw ApplicationFailure.create({ message: `${err.message}; no request was sent`, type: FailureTypes.secretUnavailable });
  }
}
