export { BLOCK, DELTA, TILE, WATERMARK_SCHEME, embedWatermark, tileBits } from './block-watermark.js';
export { detectWatermark, type WatermarkDetection } from './detect-watermark.js';
export { watermarkIndexKey, watermarkPayloadFor } from './payload.js';
