import { readFileSync } from 'node:fs';
import { protobufFields as fields, subMessages as sub } from './protobuf-fields.js';

/**
 * Reads the declared graph inputs/outputs (name + element type) straight from an .onnx
 * protobuf. Used only to explain why onnxruntime refused a file: onnxruntime-node fails
 * with "Unsupported data type: 16" without saying which tensor is bfloat16.
 */

const ELEM_TYPES: Record<number, string> = {
  1: 'float32', 2: 'uint8', 3: 'int8', 4: 'uint16', 5: 'int16', 6: 'int32', 7: 'int64', 8: 'string',
  9: 'bool', 10: 'float16', 11: 'float64', 12: 'uint32', 13: 'uint64', 14: 'complex64', 15: 'complex128',
  16: 'bfloat16', 17: 'float8e4m3fn', 18: 'float8e4m3fnuz', 19: 'float8e5m2', 20: 'float8e5m2fnuz',
  21: 'uint4', 22: 'int4', 23: 'float4e2m1',
};

export interface DeclaredTensor {
  name: string;
  dtype: string;
}

export interface OnnxSignature {
  inputs: DeclaredTensor[];
  outputs: DeclaredTensor[];
}

function valueInfo(buf: Uint8Array): DeclaredTensor {
  let name = '', dtype = 'non-tensor';
  for (const f of fields(buf)) {
    if (f.no === 1 && f.value instanceof Uint8Array) name = new TextDecoder().decode(f.value);
    if (f.no === 2 && f.value instanceof Uint8Array) {
      for (const tensorType of sub(f.value, 1)) {
        for (const g of fields(tensorType)) {
          if (g.no === 1 && typeof g.value === 'number') dtype = ELEM_TYPES[g.value] ?? `onnx type ${g.value}`;
        }
      }
    }
  }
  return { name, dtype };
}

export function parseOnnxSignature(bytes: Uint8Array): OnnxSignature {
  const graph = sub(bytes, 7)[0];
  if (!graph) throw new Error('no graph in ONNX model');
  return { inputs: sub(graph, 11).map(valueInfo), outputs: sub(graph, 12).map(valueInfo) };
}

/** The declared signature, or undefined when the file cannot be read or parsed. */
export function readOnnxSignature(file: string): OnnxSignature | undefined {
  try {
    return parseOnnxSignature(readFileSync(file));
  } catch {
    return undefined;
  }
}
