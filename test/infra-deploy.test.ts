// Docker cannot run on our machines, so the deployment files are checked statically against
// the code they deploy: Dockerfiles, docker-compose.yml and the Kubernetes manifests must
// name env vars the apps' zod config schemas accept, ports the apps listen on, CLI
// subcommands that exist, files that exist, and images that a Dockerfile here builds.
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import { apiConfigSchema } from '../apps/api/src/config.js';
import { workerConfigSchema } from '../apps/worker/src/config.js';

const root = path.resolve(import.meta.dirname, '..');
const read = (rel: string) => readFileSync(path.join(root, rel), 'utf8');
const exists = (rel: string) => existsSync(path.join(root, rel));

type Role = 'api' | 'worker';
const schemaKeys: Record<Role, Set<string>> = {
  api: new Set(Object.keys(apiConfigSchema.shape)),
  worker: new Set(Object.keys(workerConfigSchema.shape)),
};
const portVar: Record<Role, 'PORT' | 'METRICS_PORT'> = { api: 'PORT', worker: 'METRICS_PORT' };
const defaultPort: Record<Role, number> = {
  api: apiConfigSchema.parse({}).PORT,
  worker: workerConfigSchema.parse({}).METRICS_PORT,
};
/** Variables read by the runtime or base images, not by our config schemas. */
const RUNTIME_ENV = new Set(['NODE_ENV', 'NVIDIA_VISIBLE_DEVICES', 'NVIDIA_DRIVER_CAPABILITIES']);
const cliCommands = new Set(
  [...read('apps/cli/src/main.ts').matchAll(/^\s+(\w+): \{ summary:/gm)].map((m) => m[1]),
);
const workspaces = ['apps', 'packages'].flatMap((dir) =>
  readdirSync(path.join(root, dir)).filter((name) => exists(`${dir}/${name}/package.json`)).map((name) => `${dir}/${name}`),
);

/** Image `flowfarm/<x>` is built by infra/docker/Dockerfile.<x>; its role follows from x. */
function dockerfileOf(image: string): { file: string; role: Role } {
  const m = /^flowfarm\/([\w-]+)(?::[\w.-]+)?$/.exec(image);
  if (!m) throw new Error(`${image} is not a flowfarm image`);
  return { file: `infra/docker/Dockerfile.${m[1]}`, role: m[1].startsWith('worker') ? 'worker' : 'api' };
}

// ---- Dockerfiles ----
interface Instruction { op: string; args: string }
function dockerStages(rel: string): Array<{ name: string | null; from: string; body: Instruction[] }> {
  const lines = read(rel).replace(/\\\n/g, ' ').split('\n').filter((l) => l.trim() && !l.trim().startsWith('#'));
  const stages: Array<{ name: string | null; from: string; body: Instruction[] }> = [];
  for (const line of lines) {
    const [, op, args] = /^\s*(\w+)\s+(.*)$/.exec(line) ?? [];
    if (op === 'FROM') {
      const m = /^(\S+)(?:\s+AS\s+(\S+))?/i.exec(args)!;
      stages.push({ from: m[1], name: m[2] ?? null, body: [] });
    } else if (op && op !== 'ARG') {
      stages.at(-1)!.body.push({ op: op.toUpperCase(), args: args.trim() });
    }
  }
  return stages;
}
const envNames = (args: string) => [...args.matchAll(/(?:^|\s)([A-Z_][A-Z0-9_]*)=/g)].map((m) => m[1]);

describe.each([
  { image: 'flowfarm/api', cmd: 'api' },
  { image: 'flowfarm/worker', cmd: 'worker' },
  { image: 'flowfarm/worker-gpu', cmd: 'worker' },
])('Dockerfile for $image', ({ image, cmd }) => {
  const { file, role } = dockerfileOf(image);
  const stages = dockerStages(file);
  const final = stages.at(-1)!;
  const all = stages.flatMap((s) => s.body);
  const find = (op: string) => final.body.filter((i) => i.op === op);

  it('installs production dependencies from every workspace manifest, multi-stage', () => {
    expect(stages.length).toBeGreaterThanOrEqual(2);
    const copied = all.filter((i) => i.op === 'COPY').map((i) => i.args);
    for (const ws of workspaces) expect(copied, `${file} must COPY ${ws}/package.json`).toContain(`${ws}/package.json ${ws}/`);
    expect(all.some((i) => i.op === 'RUN' && /npm ci --omit=dev/.test(i.args))).toBe(true);
    for (const i of all.filter((x) => x.op === 'COPY' && x.args.includes('--from='))) {
      const from = /--from=(\S+)/.exec(i.args)![1];
      expect(stages.map((s) => s.name), `${file}: COPY --from=${from}`).toContain(from);
    }
  });

  it('runs as a non-root user with a HEALTHCHECK on the port the app listens on', () => {
    const user = find('USER').at(-1)?.args ?? 'root';
    expect(user).not.toMatch(/^(root|0)(:|$)/);
    const env = Object.fromEntries(find('ENV').flatMap((i) => [...i.args.matchAll(/([A-Z_][A-Z0-9_]*)=(\S+)/g)].map((m) => [m[1], m[2]])));
    expect(Number(env[portVar[role]] ?? defaultPort[role])).toBe(defaultPort[role]);
    expect(find('EXPOSE').map((i) => i.args)).toContain(String(defaultPort[role]));
    const health = find('HEALTHCHECK')[0]?.args ?? '';
    expect(health).toContain(`process.env.${portVar[role]}||${defaultPort[role]}`);
    expect(health).toContain('/healthz');
  });

  it('sets only env vars the config schema knows, and starts an existing CLI subcommand', () => {
    for (const name of find('ENV').flatMap((i) => envNames(i.args))) {
      expect(RUNTIME_ENV.has(name) || schemaKeys[role].has(name), `${file}: ENV ${name}`).toBe(true);
    }
    const entrypoint = JSON.parse(find('ENTRYPOINT')[0].args) as string[];
    for (const arg of entrypoint.slice(1)) expect(exists(arg), `${file}: ${arg}`).toBe(true);
    expect(JSON.parse(find('CMD')[0].args)).toEqual([cmd]);
    expect(cliCommands).toContain(cmd);
  });
});

it('.dockerignore keeps host node_modules and local data out of the build context', () => {
  const ignored = read('.dockerignore').split('\n').map((l) => l.trim());
  expect(ignored).toEqual(expect.arrayContaining(['**/node_modules', '.data', '.git']));
});

// ---- docker-compose.yml ----
/** `${VAR:-default}` → default, as compose does when VAR is unset. */
function withComposeDefaults(env: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(env).map(([k, v]) => [k, String(v).replace(/\$\{\w+:-([^}]*)\}/g, '$1')]));
}

describe('docker-compose.yml', () => {
  const compose = parse(read('docker-compose.yml'), { merge: true }) as {
    services: Record<string, Record<string, unknown> & { image?: string; environment?: Record<string, string> }>;
  };
  const services = compose.services;
  const farm = Object.entries(services).filter(([, s]) => s.image?.startsWith('flowfarm/'));

  it('has the farm: redis with AOF, minio and its bucket, api, worker, prometheus, grafana', () => {
    expect(Object.keys(services)).toEqual(expect.arrayContaining(['redis', 'minio', 'minio-init', 'api', 'worker', 'prometheus', 'grafana']));
    expect((services.redis.command as string[]).join(' ')).toContain('--appendonly yes');
    expect((services['minio-init'].command as string[]).join(' ')).toContain('mc mb --ignore-existing "farm/$$S3_BUCKET"');
    expect(services['minio-init'].environment!.S3_BUCKET).toBe(services.api.environment!.S3_BUCKET);
  });

  it('builds each flowfarm image from its Dockerfile, runs a CLI subcommand, and uses only known env vars', () => {
    expect(farm.map(([name]) => name)).toEqual(expect.arrayContaining(['api', 'worker', 'worker-gpu']));
    for (const [name, s] of farm) {
      const { file, role } = dockerfileOf(s.image!);
      expect((s.build as { dockerfile: string }).dockerfile, name).toBe(file);
      expect(cliCommands).toContain((s.command as string[])[0]);
      for (const key of Object.keys(s.environment ?? {})) expect(schemaKeys[role].has(key), `${name}: ${key}`).toBe(true);
      // With compose's defaults filled in, the app's own config parser accepts the values.
      const schema = role === 'api' ? apiConfigSchema : workerConfigSchema;
      const parsed = schema.safeParse(withComposeDefaults(s.environment ?? {}));
      expect(parsed.error?.issues ?? [], name).toEqual([]);
    }
  });

  it('publishes the API port, keeps workers scalable, and waits past the drain deadline', () => {
    expect(services.api.ports).toContain(`${services.api.environment!.PORT}:${services.api.environment!.PORT}`);
    const worker = services.worker;
    expect(worker.container_name).toBeUndefined();
    expect(worker.ports).toBeUndefined();
    expect(worker.expose).toContain(worker.environment!.METRICS_PORT);
    const grace = Number(/^(\d+)s$/.exec(String(worker.stop_grace_period))![1]);
    expect(grace * 1000).toBeGreaterThan(Number(worker.environment!.SHUTDOWN_TIMEOUT_MS));
  });

  it('has Prometheus scrape the api and worker services on their metrics ports', () => {
    const prom = parse(read('infra/prometheus/prometheus.yml')) as {
      scrape_configs: Array<{ job_name: string; dns_sd_configs?: Array<{ names: string[]; port: number }> }>;
    };
    const targets = prom.scrape_configs.flatMap((c) => c.dns_sd_configs ?? []);
    expect(targets).toContainEqual(expect.objectContaining({ names: ['api'], port: Number(services.api.environment!.PORT) }));
    expect(targets).toContainEqual(expect.objectContaining({ names: ['worker'], port: Number(services.worker.environment!.METRICS_PORT) }));
  });

  it('mounts files that exist and pins third-party images', () => {
    for (const [name, s] of Object.entries(services)) {
      for (const v of (s.volumes as string[] | undefined) ?? []) {
        if (v.startsWith('./')) expect(exists(v.split(':')[0]), `${name}: ${v}`).toBe(true);
      }
      if (!s.image?.startsWith('flowfarm/')) expect(s.image, name).toMatch(/:[\w.-]*\d[\w.-]*$/);
      const deps = s.depends_on as string[] | Record<string, unknown> | undefined;
      for (const dep of Array.isArray(deps) ? deps : Object.keys(deps ?? {})) expect(Object.keys(services)).toContain(dep);
    }
  });

  it('provisions Grafana with the datasource the dashboard uses', () => {
    const ds = parse(read('infra/grafana/provisioning/datasources/prometheus.yml')) as { datasources: Array<{ uid: string; url: string }> };
    const dash = read('infra/grafana/dashboards/flowfarm-overview.json');
    const uids = new Set([...dash.matchAll(/"uid": "([^"]+)"/g)].map((m) => m[1]).filter((u) => u !== 'flowfarm-overview'));
    expect([...uids]).toEqual([ds.datasources[0].uid]);
    expect(ds.datasources[0].url).toBe('http://prometheus:9090');
  });
});

// ---- Kubernetes ----
interface K8sObject {
  kind: string;
  metadata: { name: string; namespace?: string };
  spec?: any; // eslint-disable-line @typescript-eslint/no-explicit-any
  data?: Record<string, string>;
  stringData?: Record<string, string>;
}
describe('infra/k8s', () => {
  const kustomization = parse(read('infra/k8s/kustomization.yaml')) as { resources: string[] };
  const objects: K8sObject[] = kustomization.resources.flatMap((file) =>
    parseAllDocuments(read(`infra/k8s/${file}`)).map((doc) => {
      if (doc.errors.length > 0) throw new Error(`${file}: ${doc.errors[0].message}`);
      return doc.toJS() as K8sObject;
    }),
  );
  const secrets = new Map(
    parseAllDocuments(read('infra/k8s/secret.example.yaml')).map((doc) => {
      const o = doc.toJS() as K8sObject;
      return [o.metadata.name, Object.keys(o.stringData ?? {})];
    }),
  );
  const byKind = (kind: string) => objects.filter((o) => o.kind === kind);
  const deployments = byKind('Deployment');
  const config = byKind('ConfigMap')[0];
  const deployment = (name: string) => deployments.find((d) => d.metadata.name === name)!;

  it('has api Deployment+Service+HPA, worker Deployment+PDB and a KEDA ScaledObject', () => {
    expect(deployments.map((d) => d.metadata.name).sort()).toEqual(['flowfarm-api', 'flowfarm-worker']);
    expect(byKind('Service').map((s) => s.metadata.name)).toContain('flowfarm-api');
    expect(byKind('HorizontalPodAutoscaler')[0].spec.scaleTargetRef.name).toBe('flowfarm-api');
    expect(byKind('ScaledObject')[0].spec.scaleTargetRef.name).toBe('flowfarm-worker');
  });

  it('runs images built here, with CLI subcommands and env vars the config schemas know', () => {
    for (const d of deployments) {
      for (const c of d.spec.template.spec.containers) {
        const { file, role } = dockerfileOf(c.image);
        expect(exists(file), `${d.metadata.name}: ${file}`).toBe(true);
        expect(cliCommands).toContain(c.args[0]);
        const names: string[] = (c.env ?? []).map((e: { name: string }) => e.name);
        for (const ref of c.envFrom ?? []) {
          if (ref.configMapRef) names.push(...Object.keys(config.data ?? {}));
          if (ref.secretRef) {
            expect(secrets.has(ref.secretRef.name), `secret ${ref.secretRef.name} in secret.example.yaml`).toBe(true);
            names.push(...(secrets.get(ref.secretRef.name) ?? []));
          }
        }
        for (const name of names) expect(schemaKeys[role].has(name), `${d.metadata.name}: ${name}`).toBe(true);
        const values = { ...config.data, ...Object.fromEntries((c.env ?? []).map((e: { name: string; value: string }) => [e.name, e.value])) };
        const schema = role === 'api' ? apiConfigSchema : workerConfigSchema;
        expect(schema.safeParse(values).error?.issues ?? [], d.metadata.name).toEqual([]);
        // The configured port is the one the container exposes and the probes use.
        const port = Number(c.env.find((e: { name: string }) => e.name === portVar[role])?.value ?? defaultPort[role]);
        const ports: Array<{ name: string; containerPort: number }> = c.ports;
        expect(ports.map((p) => p.containerPort)).toContain(port);
        for (const probe of ['startupProbe', 'readinessProbe', 'livenessProbe']) {
          if (c[probe]) expect(ports.map((p) => p.name)).toContain(c[probe].httpGet.port);
        }
        expect(d.spec.template.metadata.annotations['prometheus.io/port']).toBe(String(port));
        expect(d.spec.template.spec.securityContext.runAsNonRoot).toBe(true);
      }
    }
  });

  it('selects pods by labels they carry', () => {
    const podLabels = (name: string) => deployment(name).spec.template.metadata.labels;
    for (const d of deployments) expect(podLabels(d.metadata.name)).toMatchObject(d.spec.selector.matchLabels);
    for (const o of [...byKind('Service'), ...byKind('PodDisruptionBudget')]) {
      const selector = o.kind === 'Service' ? o.spec.selector : o.spec.selector.matchLabels;
      expect(deployments.some((d) => Object.entries(selector).every(([k, v]) => podLabels(d.metadata.name)[k] === v)), o.metadata.name).toBe(true);
    }
    const api = deployment('flowfarm-api').spec.template.spec.containers[0];
    const service = byKind('Service').find((s) => s.metadata.name === 'flowfarm-api')!;
    expect(api.ports.map((p: { name: string }) => p.name)).toContain(service.spec.ports[0].targetPort);
    const pdbs = byKind('PodDisruptionBudget').map((p) => p.spec.selector.matchLabels['app.kubernetes.io/component']);
    expect(pdbs).toContain('worker');
  });

  it('gives GPU workers a grace period longer than their drain deadline', () => {
    const pod = deployment('flowfarm-worker').spec.template.spec;
    const worker = pod.containers[0];
    const drainMs = Number(worker.env.find((e: { name: string }) => e.name === 'SHUTDOWN_TIMEOUT_MS')?.value ?? workerConfigSchema.parse({}).SHUTDOWN_TIMEOUT_MS);
    const preStop = Number(worker.lifecycle?.preStop?.exec?.command?.[1] ?? 0);
    expect(pod.terminationGracePeriodSeconds * 1000).toBeGreaterThan(drainMs + preStop * 1000);
    expect(worker.resources.limits['nvidia.com/gpu']).toBeGreaterThanOrEqual(1);
    expect(worker.image).toMatch(/^flowfarm\/worker-gpu/);
    const scaled = byKind('ScaledObject')[0].spec;
    expect(scaled.maxReplicaCount).toBeGreaterThan(scaled.minReplicaCount);
  });

  it('keeps every namespaced object in the flowfarm namespace', () => {
    for (const o of objects) if (o.kind !== 'Namespace') expect(o.metadata.namespace, `${o.kind}/${o.metadata.name}`).toBe('flowfarm');
  });
});
