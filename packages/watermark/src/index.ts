// @tanba/watermark: runs anywhere (pure TypeScript on pixel arrays).
export { embedWatermark, WATERMARK_METHOD, DEFAULT_STRENGTH, MIN_SHORT_SIDE, type EmbedOptions, type EmbedResult } from './embed.js'
export { detectWatermark, falsePositiveBound, CANDIDATES, CHECKED_BITS, type DetectOptions, type WatermarkDetection } from './detect.js'
export { watermarkIdFor, payloadHex, parseInfoBits, infoBits, WATERMARK_VERSION, type WatermarkPayload } from './payload.js'
export { CELLS_SHORT, TILE, CODED_BITS, SYNC_CELLS } from './pattern.js'
export type { PixelImage } from './raster.js'
