// `npm run eval:creative [-- --only formats,aspect,…] [--count N]`: measures the creative
// controls on the shipped model (docs/creative-controls.md records the figures). Each section
// renders the same fixed eval cases as eval:adherence (same prompts and seeds).
import path from 'node:path';
import { parseArgs } from 'node:util';
import { loadModel } from '@flowfarm/pipeline';
import { DEFAULT_MODEL, DEFAULT_MODELS_DIR } from '../commands/generate.js';
import { aspectRatiosSection } from './creative/aspect-ratios.js';
import { chainSection } from './creative/chain.js';
import { imageToImageSection } from './creative/image-to-image.js';
import { ultraRefineSection } from './creative/ultra-refine.js';
import { formatsSection } from './creative/formats.js';
import { paletteSection } from './creative/palette.js';
import type { Context } from './creative/harness.js';
import { loadDomain } from './domain.js';
import { evalCases } from './prompts.js';

const SECTIONS: Record<string, (ctx: Context) => Promise<string>> = {
  formats: formatsSection,
  aspect: aspectRatiosSection,
  palette: paletteSection,
  'image-to-image': imageToImageSection,
  chain: chainSection,
  'ultra-refine': ultraRefineSection,
};

async function main(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      model: { type: 'string', default: DEFAULT_MODEL },
      'models-dir': { type: 'string', default: DEFAULT_MODELS_DIR },
      count: { type: 'string', default: '72' },
      steps: { type: 'string', default: '4' },
      only: { type: 'string' },
    },
  });
  const names = values.only ? values.only.split(',') : Object.keys(SECTIONS);
  const unknown = names.filter((n) => !SECTIONS[n]);
  if (unknown.length) {
    process.stderr.write(`eval:creative: unknown section(s) ${unknown.join(', ')} (have ${Object.keys(SECTIONS).join(', ')})\n`);
    return 2;
  }
  const dir = path.resolve(values['models-dir'], values.model);
  const domain = loadDomain(dir);
  const model = await loadModel(dir);
  const ctx: Context = {
    model, domain, steps: Number(values.steps), cases: evalCases(domain, Number(values.count)),
    log: (line) => process.stderr.isTTY && process.stderr.write(`\r\x1b[K${line}`),
  };
  process.stdout.write(`# ${model.name}: ${ctx.cases.length} eval cases, ${ctx.steps} steps\n\n`);
  try {
    for (const name of names) process.stdout.write(`${await SECTIONS[name](ctx)}\n\n`);
  } finally {
    await model.release();
  }
  return 0;
}

process.exitCode = await main(process.argv.slice(2));
