/**
 * Writes small ONNX graphs (protobuf) from code, so the pipeline can run its own glue on the
 * model's execution provider — the Euler update between flow steps, the provider probe —
 * without shipping extra .onnx files. Only what those graphs need: typed inputs/outputs with
 * symbolic dims, nodes with int attributes. The field numbers are onnx.proto's.
 */

/** onnx TensorProto.DataType values */
export const ONNX_DTYPE = { float32: 1, float16: 10 } as const;
export type GraphDtype = keyof typeof ONNX_DTYPE;

export interface GraphValue {
  name: string;
  dtype: GraphDtype;
  /** numbers are fixed sizes, strings symbolic dims */
  dims: Array<number | string>;
}

export interface GraphNode {
  op: string;
  inputs: string[];
  outputs: string[];
  intAttributes?: Record<string, number>;
}

export interface GraphDefinition {
  name: string;
  inputs: GraphValue[];
  outputs: GraphValue[];
  nodes: GraphNode[];
  opset?: number;
}

class ProtoWriter {
  private readonly bytes: number[] = [];

  private varint(value: number): void {
    let v = value;
    while (v >= 0x80) {
      this.bytes.push((v % 0x80) | 0x80);
      v = Math.floor(v / 0x80);
    }
    this.bytes.push(v);
  }

  int(field: number, value: number): this {
    this.varint(field * 8);
    this.varint(value);
    return this;
  }

  bytesField(field: number, data: Uint8Array): this {
    this.varint(field * 8 + 2);
    this.varint(data.length);
    for (const b of data) this.bytes.push(b);
    return this;
  }

  string(field: number, value: string): this {
    return this.bytesField(field, new TextEncoder().encode(value));
  }

  message(field: number, build: (w: ProtoWriter) => void): this {
    const inner = new ProtoWriter();
    build(inner);
    return this.bytesField(field, inner.finish());
  }

  finish(): Uint8Array {
    return Uint8Array.from(this.bytes);
  }
}

function valueInfo(w: ProtoWriter, v: GraphValue): void {
  w.string(1, v.name).message(2, (type) =>
    type.message(1, (tensor) =>
      tensor.int(1, ONNX_DTYPE[v.dtype]).message(2, (shape) => {
        for (const d of v.dims) shape.message(1, (dim) => (typeof d === 'number' ? dim.int(1, d) : dim.string(2, d)));
      }),
    ),
  );
}

/** Serialized ModelProto (IR version 8) for the graph. */
export function buildOnnxModel(def: GraphDefinition): Uint8Array {
  const model = new ProtoWriter();
  model.int(1, 8); // ir_version
  model.string(2, '@flowfarm/pipeline');
  model.message(7, (graph) => {
    for (const n of def.nodes) {
      graph.message(1, (node) => {
        for (const i of n.inputs) node.string(1, i);
        for (const o of n.outputs) node.string(2, o);
        node.string(4, n.op);
        for (const [name, value] of Object.entries(n.intAttributes ?? {})) {
          node.message(5, (a) => a.string(1, name).int(3, value).int(20, 2)); // AttributeType INT = 2
        }
      });
    }
    graph.string(2, def.name);
    for (const v of def.inputs) graph.message(11, (w) => valueInfo(w, v));
    for (const v of def.outputs) graph.message(12, (w) => valueInfo(w, v));
  });
  model.message(8, (opset) => opset.string(1, '').int(2, def.opset ?? 17));
  return model.finish();
}

/**
 * The Euler update x ← x + dt·v as a graph: x stays fp32 (as in the host loop), v is
 * whatever the transformer returns (fp16 is cast up, exactly), and when the transformer takes
 * fp16 latents the graph also emits x cast down (round to nearest even, like toHalfArray), so
 * nothing leaves the device between steps.
 */
export function eulerStepGraph(velocity: GraphDtype, transformerInput: GraphDtype): GraphDefinition {
  const dims = ['B', 'S', 'C'];
  const nodes: GraphNode[] = [];
  let v = 'velocity';
  if (velocity === 'float16') {
    nodes.push({ op: 'Cast', inputs: ['velocity'], outputs: ['velocity_f32'], intAttributes: { to: ONNX_DTYPE.float32 } });
    v = 'velocity_f32';
  }
  nodes.push({ op: 'Mul', inputs: [v, 'dt'], outputs: ['delta'] });
  nodes.push({ op: 'Add', inputs: ['x', 'delta'], outputs: ['x_next'] });
  const outputs: GraphValue[] = [{ name: 'x_next', dtype: 'float32', dims }];
  if (transformerInput === 'float16') {
    nodes.push({ op: 'Cast', inputs: ['x_next'], outputs: ['x_next_f16'], intAttributes: { to: ONNX_DTYPE.float16 } });
    outputs.push({ name: 'x_next_f16', dtype: 'float16', dims });
  }
  return {
    name: 'flowfarm_euler_step',
    inputs: [
      { name: 'x', dtype: 'float32', dims },
      { name: 'velocity', dtype: velocity, dims },
      { name: 'dt', dtype: 'float32', dims: [1] },
    ],
    outputs,
    nodes,
  };
}
