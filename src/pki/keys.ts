/**
 * ECDSA P-256 keys (the one key type of the PKI, for the widest TLS interop) and their PKCS#8 PEM
 * form, through Node's WebCrypto.
 */
import { createPrivateKey, webcrypto } from 'node:crypto';
import { PkiInvalidMaterialError } from './errors.js';
import { x509 } from './x509.js';

const { subtle } = webcrypto;

// The WebCrypto types by their Node names: the project compiles without the DOM library.
export type CryptoKey = webcrypto.CryptoKey;
export type CryptoKeyPair = webcrypto.CryptoKeyPair;

/** The key algorithm of every key; signatures are ECDSA with SHA-256. */
export const KEY_ALGORITHM: webcrypto.EcKeyGenParams = { name: 'ECDSA', namedCurve: 'P-256' };
export const SIGNING_ALGORITHM: webcrypto.EcdsaParams = { name: 'ECDSA', hash: 'SHA-256' };

/** A new key pair. The private key is extractable because it is written to a PKCS#8 file. */
export async function generateKeyPair(): Promise<CryptoKeyPair> {
  return subtle.generateKey(KEY_ALGORITHM, true, ['sign', 'verify']);
}

export async function exportPrivateKeyPem(key: CryptoKey): Promise<string> {
  const der = await subtle.exportKey('pkcs8', key);
  return x509.PemConverter.encode(der, 'PRIVATE KEY');
}

/**
 * Imports a P-256 private key for signing. Node's parser reads the PEM first, so a SEC1 file
 * ("EC PRIVATE KEY", as openssl ecparam writes) works too and every failure gets one clear message;
 * WebCrypto then gets PKCS#8 DER. The imported key is not extractable: it only ever signs.
 */
export async function importPrivateKeyPem(pem: string, path?: string): Promise<CryptoKey> {
  let der: Buffer;
  try {
    const key = createPrivateKey(pem);
    if (key.asymmetricKeyType !== 'ec' || key.asymmetricKeyDetails?.namedCurve !== 'prime256v1') {
      const curve = key.asymmetricKeyDetails?.namedCurve;
      throw new Error(
        `it is a ${key.asymmetricKeyType ?? 'unknown'}${curve ? ` ${curve}` : ''} key, not ECDSA P-256`,
      );
    }
    der = key.export({ format: 'der', type: 'pkcs8' });
  } catch (err) {
    throw new PkiInvalidMaterialError(path, `not a usable private key: ${(err as Error).message}`, {
      cause: err,
    });
  }
  return subtle.importKey('pkcs8', der, KEY_ALGORITHM, false, ['sign']);
}
