/**
 * Lists the external data files an .onnx graph refers to (TensorProto.external_data entries
 * with key "location"), reading the protobuf directly: the published FLUX.1 exports keep
 * 12 B parameters in files next to a small graph, and the memory check must count them
 * without loading anything.
 */

import { protobufFields as fields, subMessages as messages } from './protobuf-fields.js';

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
