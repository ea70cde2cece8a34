// Shared byte-level helpers for the media adapters (one export line per file).
export * from './reader.js'
