export { BLOCK, DELTA, TILE, WATERMARK_SCHEME, embedWatermark, tileBits } from './block-watermark.js';
export { detectWatermark, type WatermarkDetection } from './detect-watermark.js';
export { watermarkPayloadFor } from './payload.js';
