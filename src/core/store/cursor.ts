/**
 * List cursors: the (createdAt, id) of the last job of a page, which keyset pagination continues
 * after. Opaque to callers (base64url), versioned, and decoded strictly: a cursor that this code
 * would not have produced is refused rather than guessed at.
 */
import { InvalidCursorError } from './errors.js';

export interface CursorPosition {
  readonly createdAt: number;
  readonly id: string;
}

const VERSION = '1';
// Far longer than any cursor we issue (about 40 characters), short enough to reject junk cheaply.
const MAX_CURSOR_LENGTH = 64;
const BASE64URL = /^[A-Za-z0-9_-]+$/;
const DECODED = /^1\.(-?(?:0|[1-9][0-9]{0,15}))\.([A-HJ-NP-Z2-9]{6})$/;

export function encodeCursor(position: CursorPosition): string {
  return Buffer.from(`${VERSION}.${position.createdAt}.${position.id}`, 'utf8').toString('base64url');
}

export function decodeCursor(cursor: string): CursorPosition {
  if (cursor.length === 0 || cursor.length > MAX_CURSOR_LENGTH || !BASE64URL.test(cursor)) {
    throw new InvalidCursorError(cursor);
  }
  const match = DECODED.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
  const createdAt = Number(match?.[1]);
  const id = match?.[2];
  if (id === undefined || !Number.isSafeInteger(createdAt)) throw new InvalidCursorError(cursor);
  const position = { createdAt, id };
  // Node's base64url decoder tolerates odd padding bits; only the canonical spelling is ours.
  if (encodeCursor(position) !== cursor) throw new InvalidCursorError(cursor);
  return position;
}
