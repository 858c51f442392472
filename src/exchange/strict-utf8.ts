/** The bytes of an import are not valid UTF-8 (a stray byte, an overlong form, a sequence cut at the end). */
export class Utf8DecodeError extends Error {
  constructor(
    /** 0-based offset in the file of the first byte that is not valid UTF-8. */
    readonly byteOffset: number,
    /** 1-based line of that byte. */
    readonly line: number,
    detail: string,
  ) {
    super(`invalid UTF-8 at byte offset ${byteOffset} (line ${line}): ${detail}`);
    this.name = "Utf8DecodeError";
  }
}

/**
 * Decodes a byte stream as UTF-8 chunk by chunk, refusing what is not UTF-8 instead of replacing it with
 * U+FFFD, and refusing a sequence cut at the end of the stream instead of dropping it. Memory: one chunk
 * plus at most 3 bytes of an unfinished sequence. Strings given in are passed through (already decoded).
 *
 * @throws Utf8DecodeError with the byte offset and line of the first bad byte.
 */
export async function* decodeUtf8Strictly(chunks: AsyncIterable<string | Buffer>): AsyncGenerator<string> {
  // Not in streaming mode: each call decodes whole characters only (the unfinished tail is carried here), so
  // the position of a bad byte is known exactly.
  const decoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
  let offset = 0; // bytes of the stream before `pending`
  let lines = 1; // line at `offset`
  let pending: Buffer = Buffer.alloc(0); // an unfinished character carried from the previous chunk
  for await (const chunk of chunks) {
    if (typeof chunk === "string") {
      yield chunk;
      continue;
    }
    const bytes = pending.length > 0 ? Buffer.concat([pending, chunk]) : chunk;
    const whole = bytes.subarray(0, bytes.length - unfinishedTail(bytes));
    let text: string;
    try {
      text = decoder.decode(whole);
    } catch {
      const bad = firstInvalidByte(whole);
      // The text before the bad byte is good: readers turn it into records a non-strict import commits.
      if (bad > 0) yield decoder.decode(whole.subarray(0, bad));
      throw new Utf8DecodeError(
        offset + bad,
        lines + countNewlines(whole, bad),
        `byte 0x${whole[bad].toString(16).padStart(2, "0")} does not start or continue a UTF-8 character`,
      );
    }
    lines += countNewlines(whole, whole.length);
    offset += whole.length;
    pending = Buffer.from(bytes.subarray(whole.length));
    yield text;
  }
  if (pending.length > 0) {
    throw new Utf8DecodeError(offset, lines, `the file ends inside a ${expectedLength(pending[0])}-byte UTF-8 character`);
  }
}

/** How many bytes at the end of `bytes` begin a character that is not complete yet (0–3). */
function unfinishedTail(bytes: Uint8Array): number {
  for (let back = 1; back <= Math.min(3, bytes.length); back++) {
    const byte = bytes[bytes.length - back];
    if ((byte & 0xc0) === 0x80) continue; // a continuation byte: look further back
    const needed = expectedLength(byte);
    return needed > back ? back : 0;
  }
  return 0;
}

/** Length of the character a lead byte starts (1 for ASCII, 0 for a byte that starts none). */
function expectedLength(lead: number): number {
  if (lead < 0x80) return 1;
  if (lead >= 0xc2 && lead <= 0xdf) return 2;
  if (lead >= 0xe0 && lead <= 0xef) return 3;
  if (lead >= 0xf0 && lead <= 0xf4) return 4;
  return 0;
}

/** Index of the first byte that is not part of a valid UTF-8 character (RFC 3629: no overlongs or surrogates). */
function firstInvalidByte(bytes: Uint8Array): number {
  let i = 0;
  while (i < bytes.length) {
    const lead = bytes[i];
    const length = expectedLength(lead);
    if (length === 0) return i;
    if (length === 1) {
      i++;
      continue;
    }
    if (i + length > bytes.length) return i; // cut short inside this chunk's text: only at the very end
    const second = bytes[i + 1];
    const low = lead === 0xe0 ? 0xa0 : lead === 0xf0 ? 0x90 : 0x80;
    const high = lead === 0xed ? 0x9f : lead === 0xf4 ? 0x8f : 0xbf;
    if (second < low || second > high) return i;
    for (let k = 2; k < length; k++) if ((bytes[i + k] & 0xc0) !== 0x80) return i;
    i += length;
  }
  return bytes.length;
}

function countNewlines(bytes: Uint8Array, end: number): number {
  let count = 0;
  for (let i = 0; i < end; i++) if (bytes[i] === 0x0a) count++;
  return count;
}
