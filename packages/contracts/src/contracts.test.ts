import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { JobInput, buildOpenApiDocument, defineRoute, farmEnvSchema, fieldErrorsFromZod, needsKey, ok, problem, toProblem, RateLimitedError, UnknownModelError } from './index.js';

function pathsOf(body: unknown): string[] {
  const parsed = JobInput.safeParse(body);
  if (parsed.success) return [];
  return fieldErrorsFromZod(parsed.error).map((e) => e.path);
}

describe('JobInput', () => {
  it('accepts a minimal and a full request', () => {
    expect(JobInput.parse({ prompt: 'a red circle' })).toEqual({ prompt: 'a red circle' });
    const full = { prompt: 'x', model: 'm', width: 64, height: 128, steps: 4, guidance: 3.5, seed: 7, num_images: 2, output_format: 'png', webhook: { url: 'https://e.example/h', events: ['job.succeeded'] }, metadata: { user: 'u1' } };
    expect(JobInput.parse(full)).toEqual(full);
  });

  it('names the path of each invalid field', () => {
    expect(pathsOf({})).toEqual(['prompt']);
    expect(pathsOf({ prompt: 'x'.repeat(2001) })).toEqual(['prompt']);
    expect(pathsOf({ prompt: 'x', width: 70 })).toEqual(['width']);
    expect(pathsOf({ prompt: 'x', height: 64.5 })).toContain('height');
    expect(pathsOf({ prompt: 'x', steps: 0 })).toEqual(['steps']);
    expect(pathsOf({ prompt: 'x', seed: -1 })).toEqual(['seed']);
    expect(pathsOf({ prompt: 'x', num_images: 9 })).toEqual(['num_images']);
    expect(pathsOf({ prompt: 'x', output_format: 'gif' })).toEqual(['output_format']);
    expect(pathsOf({ prompt: 'x', webhook: { url: 'ftp://x' } })).toEqual(['webhook.url']);
    expect(pathsOf({ prompt: 'x', webhook: { url: 'https://x.example', events: ['job.nope'] } })).toEqual(['webhook.events.0']);
    expect(pathsOf({ prompt: 'x', metadata: { big: 'y'.repeat(3000) } })).toEqual(['metadata']);
    expect(pathsOf({ prompt: 'x', colour: 'red' })).toEqual(['colour']);
    expect(pathsOf('not an object')).toEqual(['(body)']);
  });
});

describe('problems', () => {
  it('maps AppErrors to problem documents and hides anything else', () => {
    const limited = toProblem(new RateLimitedError('rate_limited', 'slow down', 1.2));
    expect(limited).toMatchObject({ status: 429, code: 'rate_limited', retry_after: 2 });
    const unknown = toProblem(new UnknownModelError('big', ['tiny-shapes']));
    expect(unknown).toMatchObject({ status: 422, code: 'unknown_model', served_models: ['tiny-shapes'] });
    expect(unknown.detail).toContain('tiny-shapes');
    const hidden = toProblem(new Error('password=hunter2'));
    expect(hidden).toMatchObject({ status: 500, code: 'internal' });
    expect(JSON.stringify(hidden)).not.toContain('hunter2');
  });
});

describe('OpenAPI document', () => {
  it('is 3.1 and every $ref points at a component that exists', () => {
    const doc = buildOpenApiDocument();
    expect(doc.openapi).toBe('3.1.0');
    const schemas = (doc.components as { schemas: Record<string, unknown> }).schemas;
    const refs = [...JSON.stringify(doc).matchAll(/"\$ref":"#\/components\/schemas\/([^"]+)"/g)].map((m) => m[1]);
    expect(refs.length).toBeGreaterThan(10);
    for (const name of refs) expect(schemas, name).toHaveProperty(name);
    expect(JSON.stringify(schemas.JobInput)).toContain('num_images');
  });

  it('refuses a declaration that leaves out an answer every route of its kind gives', () => {
    const build = (responses: Record<string, ReturnType<typeof ok>>) =>
      buildOpenApiDocument({ routes: [defineRoute({ method: 'put', path: '/v1/thing', summary: 'a thing', auth: 'tenant', body: z.object({ a: z.string() }), responses })] });
    const bodyErrors = { '400': problem('bad JSON'), '413': problem('too large') };
    expect(() => build({ '200': ok('done'), ...bodyErrors })).toThrow('must declare its 401, 429 answers');
    expect(() => build({ '200': ok('done'), ...needsKey })).toThrow('must declare its 400, 413 answers');
    expect(() => build({ '200': ok('done'), ...bodyErrors, ...needsKey, '429': problem('slow down') })).toThrow('its 429 must declare Retry-After');
    expect(build({ '200': ok('done'), ...bodyErrors, ...needsKey }).paths).toHaveProperty(['/v1/thing', 'put']);
  });
});

describe('farm environment', () => {
  it('resolves DATA_DIR to an absolute path once, when parsed (the default ./.data too)', () => {
    const cwd = process.cwd();
    expect(farmEnvSchema.parse({}).DATA_DIR).toBe(path.join(cwd, '.data'));
    expect(farmEnvSchema.parse({ DATA_DIR: 'rel/dir/' }).DATA_DIR).toBe(path.join(cwd, 'rel', 'dir'));
    expect(farmEnvSchema.parse({ DATA_DIR: '/srv/farm' }).DATA_DIR).toBe('/srv/farm');
  });
});
