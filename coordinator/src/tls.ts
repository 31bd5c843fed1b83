import * as grpc from '@grpc/grpc-js';
import { federationTlsMaterial, type FederationSecurityConfig, type Logger } from '@silo/common';

/**
 * Credentials of the federation plane's gRPC server: with `tls`, mTLS that requires every client
 * to present a certificate issued by `tls.ca`; with `insecure: true`, plain text (logged as a
 * warning).
 *
 * @throws SiloError `ERR_BAD_CONFIG` naming `tls` when neither or both are configured, or naming
 *   the file that cannot be read or used.
 */
export async function federationServerCredentials(
  config: FederationSecurityConfig,
  logger: Logger,
): Promise<grpc.ServerCredentials> {
  const tls = await federationTlsMaterial(config, logger);
  if (tls === undefined) return grpc.ServerCredentials.createInsecure();
  // The third argument defaults to false, which would accept clients without a certificate.
  return grpc.ServerCredentials.createSsl(tls.ca, [{ cert_chain: tls.cert, private_key: tls.key }], true);
}
