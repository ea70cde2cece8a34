// Shared byte-level helpers for the media adapters (one export line per file).
export * from './reader.js'
export * from './crc.js'
export * from './riff.js'
export * from './isobmff.js'
export * from './xml-depth.js'
export * from './sha256.js'
export * from './inflate.js'
