// `npm run eval:layout`: layout adherence of regional guidance. Fixed, seeded layouts of 2 and
// 3 objects (apps/cli/src/eval/layout-cases.ts) are rendered through the pipeline's `layout`
// request; each image is read by the multi-shape reader (eval/layout-shapes.ts, built on the
// one-shape analyzer) and an object counts when a shape of its color and class is found with
// IoU ≥ 0.5 against its box. Several guidance variants and prompt styles are compared.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { decodePngRgb, loadModel, type RegionalOptions } from '@flowfarm/pipeline';
import { DEFAULT_MODEL, DEFAULT_MODELS_DIR } from './commands/generate.js';
import { loadDomain } from './eval/domain.js';
import { layoutCases, PROMPT_STYLES, type PromptStyle } from './eval/layout-cases.js';
import { layoutTable, type LayoutRow } from './eval/layout-report.js';
import { scoreLayout, summarizeLayouts, type CaseScore } from './eval/layout-score.js';

const BATCH = 4;

/** Guidance variants compared (names appear in the report). */
export const VARIANTS: Record<string, RegionalOptions> = {
  // MultiDiffusion as in DESIGN.md: shared latent, velocities blended per packed token
  'multidiffusion (token grid)': { maskGrid: 'token', dilate: 0, centerObjects: false, independentAboveSigma: 2 },
  'multidiffusion (latent-pixel grid)': { dilate: 0, centerObjects: false, independentAboveSigma: 2 },
  '+ early boost x3': { dilate: 0, centerObjects: false, independentAboveSigma: 2, objectBoost: 3, boostAboveSigma: 0.75 },
  '+ recentred objects': { dilate: 0, independentAboveSigma: 2 },
  'recentred, object prompts as written': { derivePrompts: false },
  'default (recentred; independent until the last step; dilate 0.5)': {},
};

async function main(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      model: { type: 'string', default: DEFAULT_MODEL },
      'models-dir': { type: 'string', default: DEFAULT_MODELS_DIR },
      count: { type: 'string', default: '60' },
      steps: { type: 'string', default: '4' },
      size: { type: 'string', default: '64' },
      variants: { type: 'string', default: Object.keys(VARIANTS).join('|') }, // names separated by |
      styles: { type: 'string', default: PROMPT_STYLES.join(',') },
      out: { type: 'string' },
      regional: { type: 'string' }, // an extra variant as JSON RegionalOptions, for sweeps
      snap: { type: 'string', default: '0' }, // box centres on multiples of 1/snap (8: latent pixels at 64x64)
    },
  });
  const dir = path.resolve(values['models-dir'], values.model);
  const steps = Number(values.steps), count = Number(values.count), side = Number(values.size);
  const domain = loadDomain(dir);
  const model = await loadModel(dir);
  const variants = values.variants.split('|').map((v) => v.trim());
  if (values.regional) {
    VARIANTS[values.regional] = JSON.parse(values.regional) as RegionalOptions;
    variants.splice(0, variants.length, values.regional);
  }
  const styles = values.styles.split(',').map((s) => s.trim() as PromptStyle);
  const rows: LayoutRow[] = [];
  for (const variant of variants) {
    if (!(variant in VARIANTS)) throw new Error(`unknown variant "${variant}"; known: ${Object.keys(VARIANTS).join(', ')}`);
    for (const style of styles) {
      for (const n of [1, 2, 3]) {
        const cases = layoutCases(domain, count, n, style, { snap: Number(values.snap) ? 1 / Number(values.snap) : undefined });
        const scores: CaseScore[] = [];
        let ms = 0;
        for (let i = 0; i < cases.length; i += BATCH) {
          const chunk = cases.slice(i, i + BATCH);
          const out = await model.generateBatch(
            chunk.map((c) => ({
              prompt: c.backgroundPrompt,
              seed: c.seed,
              steps,
              width: side,
              height: side,
              layout: { background: c.backgroundPrompt, objects: c.objects.map((o) => ({ box: o.box, prompt: o.prompt })) },
              regional: VARIANTS[variant],
            })),
          );
          ms += out[0].timings.totalMs;
          out.forEach((r, k) => {
            const png = decodePngRgb(r.images[0].data);
            scores.push(scoreLayout(chunk[k], png.rgb, png.width, png.height, domain));
          });
        }
        const row: LayoutRow = { variant, style, objectsPerLayout: n, summary: summarizeLayouts(scores), msPerImage: ms / cases.length };
        rows.push(row);
        process.stderr.write(`${variant} | ${style} | ${n}: ${row.summary.placed}/${row.summary.objects}\n`);
      }
    }
  }
  await model.release();
  const md = layoutTable(rows);
  process.stdout.write(`${model.name}: ${count} layouts per row, ${steps} steps, ${side}x${side}\n\n${md}\n`);
  if (values.out) writeFileSync(values.out, `${md}\n`);
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`eval:layout: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  },
);
