/**
 * Lists the external data files an .onnx graph refers to (TensorProto.external_data entries
 * with key "location"), reading the protobuf directly: the published FLUX.1 exports keep
 * 12 B parameters in files next to a small graph, and the memory check must count them
 * without loading anything.
 */

type Field = { no: number; value: number | Uint8Array };

function* fields(buf: Uint8Array): Generator<Field> {
  let pos = 0;
  const varint = (): number => {
    let result = 0;
    let mul = 1;
    let byte: number;
    do {
      byte = buf[pos++];
      result += (byte & 0x7f) * mul;
      mul *= 128;
    } while (byte & 0x80);
    return result;
  };
  while (pos < buf.length) {
    const key = varint();
    const no = Math.floor(key / 8);
    const wire = key & 7;
    if (wire === 0) yield { no, value: varint() };
    else if (wire === 1) pos += 8;
    else if (wire === 5) pos += 4;
    else if (wire === 2) {
      const len = varint();
      yield { no, value: buf.subarray(pos, pos + len) };
      pos += len;
    } else throw new Error(`unsupported protobuf wire type ${wire}`);
  }
}

const messages = (buf: Uint8Array, no: number) =>
  [...fields(buf)].filter((f): f is { no: number; value: Uint8Array } => f.no === no && f.value instanceof Uint8Array).map((f) => f.value);

function locationOf(tensor: Uint8Array): string | undefined {
  for (const entry of messages(tensor, 13)) {
    let key = '';
    let value = '';
    for (const f of fields(entry)) {
      if (f.value instanceof Uint8Array && f.no === 1) key = new TextDecoder().decode(f.value);
      if (f.value instanceof Uint8Array && f.no === 2) value = new TextDecoder().decode(f.value);
    }
    if (key === 'location') return value;
  }
  return undefined;
}

/** Distinct relative paths of the external data files of a ModelProto (graph initializers). */
export function externalDataFiles(model: Uint8Array): string[] {
  const graph = messages(model, 7)[0];
  if (!graph) return [];
  const found = new Set<string>();
  for (const tensor of messages(graph, 5)) {
    const location = locationOf(tensor);
    if (location) found.add(location);
  }
  return [...found];
}
