import http from 'node:http';
import https from 'node:https';
import { checkLiteralDestination, DestinationRefusedError, publicAddressLookup } from './destinations.js';

/** From sending the request to its answer's status line: covers DNS, connect, TLS and a slow server. */
export const REQUEST_TIMEOUT_MS = 30_000;

export interface PostAnswer {
  readonly statusCode: number;
  readonly statusMessage: string;
}

/** The request got no answer; the message says why in words a person can act on. */
export class PostFailedError extends Error {
  override readonly name = 'PostFailedError';
}

class RequestTimeoutError extends Error {}

function errorCode(error: Error): string | undefined {
  const { code } = error as NodeJS.ErrnoException;
  return typeof code === 'string' ? code : undefined;
}

function describeFailure(error: Error, url: URL, timeoutMs: number): string {
  const target = url.href;
  if (error instanceof RequestTimeoutError) return `no answer within ${timeoutMs / 1000} seconds: ${target}`;
  if (error instanceof DestinationRefusedError) return `${error.message}: ${target}`;
  const code = errorCode(error);
  switch (code) {
    case 'ECONNREFUSED':
      return `connection refused: ${target}`;
    case 'ENOTFOUND':
      return `unknown host '${url.hostname}': ${target}`;
    case 'EAI_AGAIN':
      return `could not resolve '${url.hostname}' (DNS lookup failed): ${target}`;
    case 'ECONNRESET':
      return `the connection was reset before an answer came: ${target}`;
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return `no route to the host (${code}): ${target}`;
    case 'ETIMEDOUT':
      return `connecting timed out: ${target}`;
    default:
      if (code !== undefined && /TLS|CERT|SSL/.test(code)) {
        return `TLS handshake failed (${code}: ${error.message}): ${target}`;
      }
      return `${error.message}${code === undefined ? '' : ` (${code})`}: ${target}`;
  }
}

export interface EmptyPostOptions {
  /** From sending the request to its answer's status line; REQUEST_TIMEOUT_MS by default. */
  readonly timeoutMs?: number;
  /**
   * Lets the request go to loopback, private, link-local, multicast and other addresses that are
   * not public (see destinations.ts). False by default: only public addresses are reached.
   */
  readonly allowPrivateDestinations?: boolean;
}

/**
 * Sends a POST with an empty body and resolves with the answer's status as soon as its headers
 * arrive; the body is not read. No agent, so no kept-alive socket holds the job's process open.
 * Unless allowed, a URL whose host is (or resolves only to) an address that is not public fails
 * before anything is sent.
 */
export function sendEmptyPost(
  url: URL,
  { timeoutMs = REQUEST_TIMEOUT_MS, allowPrivateDestinations = false }: EmptyPostOptions = {},
): Promise<PostAnswer> {
  if (!allowPrivateDestinations) {
    try {
      checkLiteralDestination(url);
    } catch (error) {
      return Promise.reject(new PostFailedError(describeFailure(error as Error, url, timeoutMs)));
    }
  }
  const transport = url.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    const request = transport.request(
      url,
      {
        method: 'POST',
        headers: { 'content-length': '0' },
        agent: false,
        ...(allowPrivateDestinations ? {} : { lookup: publicAddressLookup() }),
      },
      (response) => {
        clearTimeout(deadline);
        resolve({ statusCode: response.statusCode ?? 0, statusMessage: response.statusMessage ?? '' });
        response.on('error', () => {}); // the body is unwanted: its loss is not a failure
        response.destroy();
      },
    );
    const deadline = setTimeout(() => request.destroy(new RequestTimeoutError()), timeoutMs);
    request.on('error', (error) => {
      clearTimeout(deadline);
      reject(new PostFailedError(describeFailure(error, url, timeoutMs)));
    });
    request.end();
  });
}
