import path from 'node:path';
import { listModelDirs, parseProviderList, providerEnvironment } from '@flowfarm/pipeline';
import type { WorkerModel } from '@flowfarm/contracts';
import { modelLoad } from '@flowfarm/metrics';
import type { Logger } from 'pino';
import { intraOpThreads, type WorkerConfig } from './config.js';
import { ModelThread, type Renderer } from './model-thread.js';

/** What the API needs to know about a model, from its manifest. */
export function limitsOf(model: Pick<Renderer, 'name' | 'manifest' | 'providerInfo'>): WorkerModel {
  const m = model.manifest;
  return {
    provider: model.providerInfo.provider,
    latents: model.providerInfo.latents,
    name: model.name,
    variant: m.variant,
    steps: m.steps,
    resolution: m.resolution,
    default_size: m.defaultSize,
    base_size: m.baseSize ?? m.defaultSize,
    max_pixels: m.maxPixels ?? m.resolution.max ** 2,
    ultra: m.ultra?.mode ?? 'native',
    image_input: m.files.vaeEncoder !== undefined,
    ...(m.rawVariant ? { raw_variant: m.rawVariant } : {}),
    guidance: m.guidance ?? (m.variant === 'dev' ? { default: 3.5 } : null),
  };
}

/**
 * Loads the configured models once, at start, each in its own render thread; a model that
 * fails to load stops the worker.
 */
export async function loadModels(config: WorkerConfig, logger: Logger): Promise<Map<string, ModelThread>> {
  const names = config.MODELS.length ? config.MODELS : listModelDirs(config.MODELS_DIR);
  if (names.length === 0) throw new Error(`no models to serve: ${path.resolve(config.MODELS_DIR)} has no model folders (set MODELS_DIR / MODELS)`);
  const models = new Map<string, ModelThread>();
  // TensorRT reads its fp16 / engine-cache settings from the process environment when it
  // starts; setting them here, on the main thread, reaches the render threads' native code.
  // (A bad list fails below, with the model load's one-line error.)
  try {
    Object.assign(process.env, providerEnvironment(parseProviderList(config.EXECUTION_PROVIDERS)));
  } catch {
    // reported by the load
  }
  for (const name of names) {
    const threads = intraOpThreads(config);
    const model = await ModelThread.start(path.join(config.MODELS_DIR, name), {
      executionProviders: config.EXECUTION_PROVIDERS.length ? config.EXECUTION_PROVIDERS : undefined,
      intraOpThreads: threads,
      latents: config.LATENTS,
      outputModeration: config.OUTPUT_MODERATION,
    });
    const info = model.providerInfo;
    modelLoad.set({ model: model.name, provider: info.provider }, model.loadMs / 1000);
    for (const reason of info.skipped) logger.warn({ model: model.name, reason }, 'execution provider unavailable, trying the next one');
    if (info.latentsNote) logger.warn({ model: model.name, reason: info.latentsNote }, 'latents go through the host between steps');
    logger.info({ model: model.name, loadMs: Math.round(model.loadMs), provider: info.provider, latents: info.latents, intraOpThreads: threads }, 'model loaded');
    models.set(model.name, model);
  }
  return models;
}
