/** Who is calling, as established by authentication. */
export type Principal = Readonly<{
  subject: string;
  scopes: ReadonlySet<string>;
  /** How the caller proved it: for the access log and audits. */
  method: 'jwt' | 'api-key' | 'mtls' | 'anonymous';
}>;

/** Authentication failed: the caller gets UNAUTHENTICATED with this (secret-free) message. */
export class AuthenticationError extends Error {
  override readonly name = 'AuthenticationError';
}

/** What a call presents: the relevant metadata and the verified client certificate's name. */
export type Credentials = Readonly<{
  authorization: string | undefined;
  apiKey: string | undefined;
  clientCommonName: string | undefined;
}>;
