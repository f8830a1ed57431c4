const c00 = process.cpuUsage();
const cpu = async (label, f) => { const c0 = process.cpuUsage(); const r = await f(); const c = process.cpuUsage(c0); console.log(label.padEnd(30), ((c.user + c.system) / 1000).toFixed(1).padStart(7), 'ms cpu'); return r; };
const p = await cpu('import pipeline', () => import('@flowfarm/pipeline'));
const model = await cpu('loadModel', () => p.loadModel('/work/wt/start10/models/tiny-shapes', { executionProviders: [], latents: 'auto', vaeEncoder: 'on-demand', outputModeration: false, graphCache: p.defaultGraphCacheDir() }));
const r = await cpu('generate', () => model.generate({ prompt: 'a large red circle in the center on a blue background', width: 64, height: 64, seed: 1 }));
await cpu('release', () => model.release());
const c = process.cpuUsage(c00); console.log('total in-script', ((c.user + c.system) / 1000).toFixed(1), 'ms cpu', r.images[0].pixelsSha256.slice(0, 12));
