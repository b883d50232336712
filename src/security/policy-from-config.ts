import type { Config } from '../config';
import type { AddressPolicy } from './address-policy';

/** The one place config becomes an address policy, shared by URL registration and the guarded HTTP agent. */
export const urlPolicy = (config: Pick<Config, 'allowPrivateUrls' | 'allowedCidrs'>): AddressPolicy => ({
  allowPrivate: config.allowPrivateUrls ?? false,
  allowedCidrs: config.allowedCidrs,
});
