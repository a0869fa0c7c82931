/**
 * TailJobResponse on the wire without the generic encoder's copies. The generated serializer runs a
 * BinaryWriter (which grows its buffer by doubling, then slices it) and Buffer.from() on the
 * result: for a 64 KiB chunk that is ~256 KiB of fresh buffers and three copies, and at streaming
 * rates the garbage drives V8 into back-to-back full GCs. The message has one field (`bytes data =
 * 1`), so its encoding is a 2-4 byte header (tag, length varint) then the bytes. A Tail stream reads
 * each chunk into a buffer that keeps HEADER_ROOM bytes free in front of it, writes the header there
 * and hands grpc-js the encoded message as is (grpc-js then copies it once, into its framed message).
 */
import { TailJobResponse, type JobServiceService } from '../../gen/workernator/v1/workernator.js';

/** Bytes to keep free in front of a chunk for its header: tag (1) + length varint (up to 5). */
export const HEADER_ROOM = 6;

/** Field 1, wire type 2 (length-delimited). */
const DATA_TAG = 0x0a;

function varintLength(value: number): number {
  let length = 1;
  for (let rest = value >>> 7; rest !== 0; rest >>>= 7) length++;
  return length;
}

/**
 * A response whose protobuf encoding is already made: `encoded` is the header then the data, in
 * the same memory as `data`. grpc-js sends `encoded` without encoding it again.
 */
export class EncodedTailResponse implements TailJobResponse {
  readonly data: Buffer;
  readonly encoded: Buffer;

  private constructor(data: Buffer, encoded: Buffer) {
    this.data = data;
    this.encoded = encoded;
  }

  /**
   * Encodes `chunk` in place: its buffer must hold HEADER_ROOM bytes before it that the caller owns
   * (they are overwritten). Takes no copy.
   */
  static inPlace(chunk: Uint8Array): EncodedTailResponse {
    const headerLength = 1 + varintLength(chunk.byteLength);
    if (chunk.byteOffset < headerLength) throw new RangeError('no room for the header before the chunk');
    const encoded = Buffer.from(
      chunk.buffer,
      chunk.byteOffset - headerLength,
      headerLength + chunk.byteLength,
    );
    encoded[0] = DATA_TAG;
    let at = 1;
    let value = chunk.byteLength;
    while (value > 0x7f) {
      encoded[at++] = (value & 0x7f) | 0x80;
      value >>>= 7;
    }
    encoded[at] = value;
    return new EncodedTailResponse(encoded.subarray(headerLength), encoded);
  }
}

/** Serializes a Tail response: as made for an EncodedTailResponse, by the generated encoder otherwise. */
export function serializeTailResponse(message: TailJobResponse): Buffer {
  if (message instanceof EncodedTailResponse) return message.encoded;
  return Buffer.from(TailJobResponse.encode(message).finish());
}

/** JobService's definition with Tail's responses serialized by serializeTailResponse. */
export function withTailResponseEncoding(definition: JobServiceService): JobServiceService {
  return { ...definition, tail: { ...definition.tail, responseSerialize: serializeTailResponse } };
}
