/** The PKI: certificate authorities, certificate issuing, the TLS directory, and client identities. */
export * from './errors.js';
export * from './names.js';
export * from './layout.js';
export * from './validity.js';
export * from './keys.js';
export * from './pem.js';
export type { CertificateKind, SubjectFields } from './profile.js';
export * from './ca.js';
export * from './issue.js';
export * from './commands.js';
export * from './identity.js';
export * from './tls-policy.js';
export * from './client-credentials.js';
