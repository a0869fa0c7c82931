/**
 * The one door to @peculiar/x509. Version 2 resolves its parsers through tsyringe, which throws at
 * load time ("tsyringe requires a reflect polyfill") unless a Reflect metadata polyfill is already
 * installed, so the polyfill must be evaluated before the library: ES modules evaluate imports in
 * order, and every PKI module imports x509 from here rather than from the package.
 */
import 'reflect-metadata';
import { webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';

// Node's WebCrypto, not a JS fallback: key generation and signing run in OpenSSL.
x509.cryptoProvider.set(webcrypto);

export { x509 };
