/**
 * The TLS policy both ends share: TLS 1.3 only, and only its AEAD suites (all three are AEAD; the
 * list leaves out the CCM suites, which Node does not enable by default anyway, so the policy is
 * written down rather than inherited).
 */
export const TLS_VERSION = 'TLSv1.3';
export const TLS_CIPHER_SUITES = 'TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256:TLS_AES_128_GCM_SHA256';
