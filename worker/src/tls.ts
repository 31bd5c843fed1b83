import * as grpc from '@grpc/grpc-js';
import { federationTlsMaterial, type FederationSecurityConfig, type Logger } from '@silo/common';

/**
 * Credentials of the worker's channel to the coordinator: with `tls`, mTLS that trusts only
 * servers with a certificate from `tls.ca` for the host the worker dials (no name override), and
 * presents `tls.cert`; with `insecure: true`, plain text (logged as a warning).
 *
 * @throws SiloError `ERR_BAD_CONFIG` naming `tls` when neither or both are configured, or naming
 *   the file that cannot be read or used.
 */
export async function federationChannelCredentials(
  config: FederationSecurityConfig,
  logger: Logger,
): Promise<grpc.ChannelCredentials> {
  const tls = await federationTlsMaterial(config, logger);
  if (tls === undefined) return grpc.credentials.createInsecure();
  return grpc.credentials.createSsl(tls.ca, tls.key, tls.cert);
}
