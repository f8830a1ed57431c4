// A cache of optimised graphs: onnxruntime spends most of a session's creation turning the
// .onnx file into its optimised graph (for the shipped tiny-shapes transformer, ~1,000 nodes,
// about 60% of the CPU of `flowfarm generate` after the first run goes there). The first load
// saves that graph in onnxruntime's own format (.ort: flatbuffers, already optimised), later
// loads read it with optimisation turned off. Only for the CPU provider: GPU providers assign
// and compile nodes per device, and their optimised graphs are not meant to be saved.
//
// An entry is named by everything the optimised graph depends on, so a stale one is never read:
// the graph file (resolved path, size, modification and change times, inode; any write or
// replacement changes ctime or the inode), onnxruntime's version, the CPU it was optimised
// for (some CPU kernels' layouts are chosen per instruction set) and the optimisation level.
// (Timestamps rather than a hash of the contents: hashing the shipped model's 9 MB costs more
// CPU than the rest of the key by far, and a file rewritten in place with the same size within
// the same clock tick as the load that cached it is not a case worth that cost.)
// Entries are written to a temporary file and renamed into place, so concurrent processes
// never read a half-written one; an entry onnxruntime cannot read is deleted and rebuilt.
// Graphs with external data or above MAX_CACHED_GRAPH_BYTES are not cached: the saved graph
// holds every weight, and a second copy of a FLUX.1 export's gigabytes is no start-up saving.
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, realpathSync, renameSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import { externalDataFilesOf } from './onnx-external-data.js';

const sha = (s: string) => createHash('sha256').update(s).digest('hex');

/** Larger graphs load without the cache (see above). */
export const MAX_CACHED_GRAPH_BYTES = 64 * 1024 * 1024;

/** The directory `flowfarm generate` keeps optimised graphs in: $XDG_CACHE_HOME/flowfarm/graphs (~/.cache/…). */
export function defaultGraphCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  const base = env.XDG_CACHE_HOME && path.isAbsolute(env.XDG_CACHE_HOME) ? env.XDG_CACHE_HOME : path.join(os.homedir(), '.cache');
  return path.join(base, 'flowfarm', 'graphs');
}

let cpu: string | undefined;
/** os.cpus() reads /proc/cpuinfo: once per process, not once per graph */
const cpuModel = () => (cpu ??= os.cpus()[0]?.model ?? '');

interface Entry {
  /** where the optimised graph of this file, with these options, lives */
  file: string;
  /** prefix of every entry of the same graph file (older versions are removed when a new one is written) */
  family: string;
}

function entryFor(dir: string, graph: string, options: ort.InferenceSession.SessionOptions): Entry | undefined {
  const real = realpathSync(graph);
  const st = statSync(real, { bigint: true });
  if (st.size > BigInt(MAX_CACHED_GRAPH_BYTES)) return undefined;
  const key = JSON.stringify({
    graph: real, size: String(st.size), mtime: String(st.mtimeNs), ctime: String(st.ctimeNs), ino: String(st.ino), dev: String(st.dev),
    ort: ort.env.versions, arch: process.arch, cpu: cpuModel(),
    level: options.graphOptimizationLevel ?? 'all', providers: options.executionProviders,
  });
  const family = `${path.basename(real, '.onnx')}.${sha(real).slice(0, 12)}.`;
  const file = path.join(dir, `${family}${sha(key).slice(0, 24)}.ort`);
  // An entry is only ever written for a graph without external data, and its name changes with
  // any change to the file: when it exists, that check was made already (it reads the graph).
  if (!existsSync(file) && externalDataFilesOf(real, Number(st.size)).length > 0) return undefined;
  return { file, family };
}

/** Whether a graph's session can come from the cache: the CPU provider only (see above). */
export function cacheable(options: ort.InferenceSession.SessionOptions): boolean {
  const providers = options.executionProviders ?? ['cpu'];
  return providers.length === 1 && (providers[0] === 'cpu' || (typeof providers[0] === 'object' && providers[0].name === 'cpu'));
}

/**
 * Creates the session of `graph` through the cache in `dir`: from the saved optimised graph when
 * there is one for this exact file and these options, else from the graph, saving its optimised
 * form for next time. Any cache trouble (unwritable directory, unreadable entry) falls back to
 * creating the session from the graph as without a cache; errors about the graph itself are
 * onnxruntime's, as without a cache.
 */
export async function createCachedSession(
  graph: string,
  dir: string,
  options: ort.InferenceSession.SessionOptions,
): Promise<ort.InferenceSession> {
  let entry: Entry | undefined;
  try {
    entry = entryFor(dir, graph, options);
  } catch {
    // a missing file: onnxruntime reports it
  }
  if (!entry) return ort.InferenceSession.create(graph, options);
  if (existsSync(entry.file)) {
    try {
      // its optimisations are in the saved graph already: running them again would only cost time
      return await createFromSavedGraph(entry.file, options);
    } catch {
      rmSync(entry.file, { force: true }); // unreadable (truncated, another format): written again below
    }
  }
  let saving: string | undefined;
  try {
    mkdirSync(dir, { recursive: true });
    // .ort: onnxruntime picks its own format from the extension
    saving = `${entry.file}.${process.pid}-${randomBytes(4).toString('hex')}.ort`;
  } catch {
    // no cache directory: load as without a cache
  }
  if (saving) {
    try {
      const session = await ort.InferenceSession.create(graph, { ...options, optimizedModelFilePath: saving });
      try {
        renameSync(saving, entry.file);
        removeOlder(dir, entry);
      } catch {
        rmSync(saving, { force: true });
      }
      return session;
    } catch {
      rmSync(saving, { force: true }); // the graph's own errors come from the plain load below
    }
  }
  return ort.InferenceSession.create(graph, options);
}

/** The bytes each session made from a saved graph runs on: they must live as long as it. */
const sessionBytes = new WeakMap<ort.InferenceSession, Buffer>();

/**
 * A session from a saved graph, its weights read in place from the file's bytes: given a path,
 * onnxruntime reads the file and then copies every initializer out of it, and on a machine
 * where a fresh page costs microseconds that copy is a good part of the load.
 */
async function createFromSavedGraph(file: string, options: ort.InferenceSession.SessionOptions): Promise<ort.InferenceSession> {
  const bytes = readFileSync(file);
  const extra = options.extra as { session?: Record<string, unknown> } | undefined;
  const session = await ort.InferenceSession.create(bytes, {
    ...options,
    graphOptimizationLevel: 'disabled',
    extra: { ...extra, session: { ...extra?.session, use_ort_model_bytes_directly: '1', use_ort_model_bytes_for_initializers: '1' } },
  });
  sessionBytes.set(session, bytes);
  return session;
}

/** Removes the entries of earlier versions of the same graph file (and temporary files of crashed saves). */
function removeOlder(dir: string, entry: Entry): void {
  const keep = path.basename(entry.file);
  for (const name of readdirSync(dir)) {
    if (name.startsWith(entry.family) && name !== keep && !name.includes(`.${process.pid}-`)) {
      // another process's save in progress is younger than a minute; leave it
      const file = path.join(dir, name);
      try {
        if (name.endsWith('.ort') && !/\.\d+-[0-9a-f]{8}\.ort$/.test(name)) rmSync(file, { force: true });
        else if (Date.now() - statSync(file).mtimeMs > 60_000) rmSync(file, { force: true });
      } catch {
        // removed by another process meanwhile
      }
    }
  }
}
