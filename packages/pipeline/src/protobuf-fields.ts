/**
 * A minimal protobuf reader for .onnx files: enough to walk fields and nested messages without
 * loading a graph into onnxruntime (used to explain refused dtypes and to find external data).
 */

export type ProtobufField = { no: number; wire: number; value: number | Uint8Array };

/** The fields of one message, in order: varints as numbers, length-delimited ones as bytes. */
export function* protobufFields(buf: Uint8Array): Generator<ProtobufField> {
  let pos = 0;
  const varint = (): number => {
    let result = 0, mul = 1, byte: number;
    do {
      byte = buf[pos++];
      result += (byte & 0x7f) * mul;
      mul *= 128;
    } while (byte & 0x80);
    return result;
  };
  while (pos < buf.length) {
    const key = varint();
    const no = Math.floor(key / 8), wire = key & 7;
    if (wire === 0) yield { no, wire, value: varint() };
    else if (wire === 1) pos += 8;
    else if (wire === 5) pos += 4;
    else if (wire === 2) {
      const len = varint();
      yield { no, wire, value: buf.subarray(pos, pos + len) };
      pos += len;
    } else throw new Error(`unsupported protobuf wire type ${wire}`);
  }
}

/** The length-delimited fields numbered `no` (nested messages, strings, bytes). */
export function subMessages(buf: Uint8Array, no: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (const f of protobufFields(buf)) if (f.no === no && f.value instanceof Uint8Array) out.push(f.value);
  return out;
}
