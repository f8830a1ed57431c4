/**
 * Lists the external data files an .onnx graph refers to (TensorProto.external_data entries
 * with key "location"), reading the protobuf directly: the published FLUX.1 exports keep
 * 12 B parameters in files next to a small graph, and the memory check must count them
 * without loading anything.
 */

import { closeSync, openSync, readSync } from 'node:fs';
import { protobufFields as fields, subMessages as messages } from './protobuf-fields.js';

function locationOf(entries: Uint8Array[]): string | undefined {
  for (const entry of entries) {
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
    const location = locationOf(messages(tensor, 13));
    if (location) found.add(location);
  }
  return [...found];
}

/**
 * Reads a file through a small window at the positions asked for, so a walk over a protobuf
 * can skip the bytes it does not need (the weights) without reading them.
 */
class FileWindow {
  private readonly buf = Buffer.allocUnsafe(64 * 1024);
  private start = 0;
  private end = 0;

  constructor(private readonly fd: number, readonly size: number) {}

  byte(pos: number): number {
    if (pos < this.start || pos >= this.end) {
      if (pos >= this.size) throw new Error('truncated protobuf');
      this.start = pos;
      this.end = pos + readSync(this.fd, this.buf, 0, this.buf.length, pos);
    }
    return this.buf[pos - this.start];
  }

  bytes(pos: number, length: number): Uint8Array {
    if (pos + length > this.size) throw new Error('truncated protobuf');
    const out = new Uint8Array(length);
    readSync(this.fd, out, 0, length, pos);
    return out;
  }
}

/** Calls visit(no, start, end) for each length-delimited field of the message at [start, end). */
function walk(file: FileWindow, start: number, end: number, visit: (no: number, from: number, to: number) => void): void {
  let pos = start;
  const varint = (): number => {
    let result = 0, mul = 1, byte: number;
    do {
      byte = file.byte(pos++);
      result += (byte & 0x7f) * mul;
      mul *= 128;
    } while (byte & 0x80);
    return result;
  };
  while (pos < end) {
    const key = varint();
    const no = Math.floor(key / 8), wire = key & 7;
    if (wire === 0) varint();
    else if (wire === 1) pos += 8;
    else if (wire === 5) pos += 4;
    else if (wire === 2) {
      const len = varint();
      if (pos + len > end) throw new Error('truncated protobuf');
      visit(no, pos, pos + len);
      pos += len;
    } else throw new Error(`unsupported protobuf wire type ${wire}`);
  }
}

/**
 * externalDataFiles of an .onnx file, reading only the graph's structure and each initializer's
 * external_data entries: the initializers' raw bytes (almost all of a graph with inline
 * weights) are skipped, not read, so the check costs next to nothing at start-up.
 */
export function externalDataFilesOf(path: string, size: number): string[] {
  const fd = openSync(path, 'r');
  try {
    const file = new FileWindow(fd, size);
    const found = new Set<string>();
    try {
      walk(file, 0, size, (no, from, to) => {
        if (no !== 7) return; // ModelProto.graph
        walk(file, from, to, (no, from, to) => {
          if (no !== 5) return; // GraphProto.initializer
          const entries: Uint8Array[] = [];
          walk(file, from, to, (no, from, to) => {
            if (no === 13) entries.push(file.bytes(from, to - from)); // TensorProto.external_data
          });
          const location = locationOf(entries);
          if (location) found.add(location);
        });
      });
    } catch {
      // not a well-formed graph: onnxruntime says what is wrong with it when it loads the file
    }
    return [...found];
  } finally {
    closeSync(fd);
  }
}
