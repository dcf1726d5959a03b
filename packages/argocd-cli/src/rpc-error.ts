/**
 * The errors of argocd-server's API as upstream's gRPC client reports them (`rpc error: code = … desc = …`),
 * in a module of their own so that the CLI's entry (which reports them) does not load the HTTP client.
 */
export const GRPC_CODES = ['OK', 'Canceled', 'Unknown', 'InvalidArgument', 'DeadlineExceeded', 'NotFound', 'AlreadyExists', 'PermissionDenied', 'ResourceExhausted', 'FailedPrecondition', 'Aborted', 'OutOfRange', 'Unimplemented', 'Internal', 'Unavailable', 'DataLoss', 'Unauthenticated'] as const;

/** An error answered by the server (or a transport failure, code Unavailable). */
export class RpcError extends Error {
  constructor(
    readonly code: number,
    readonly desc: string,
    readonly httpStatus = 0,
  ) {
    super(`rpc error: code = ${GRPC_CODES[code] ?? 'Unknown'} desc = ${desc}`);
  }
  get codeName(): string {
    return GRPC_CODES[this.code] ?? 'Unknown';
  }
}

/** The server's certificate could not be verified. */
export class CertError extends RpcError {
  constructor(desc: string) {
    super(14, `connection error: desc = "transport: authentication handshake failed: ${desc}"`);
  }
}
