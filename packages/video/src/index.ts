import type { AdapterEntry } from '@tanba/core'
import { VIDEO_FORMATS } from './formats.js'

/** The registry entry for @tanba/video: static formats, adapter loaded on first use. */
export const videoEntry: AdapterEntry = {
  name: '@tanba/video',
  kind: 'video',
  formats: VIDEO_FORMATS,
  load: () => import('./adapter.js').then((m) => m.createVideoAdapter()),
}

export { VIDEO_FORMATS, MP4_FORMAT, MOV_FORMAT, M4V_FORMAT, WEBM_FORMAT, MKV_FORMAT, AVI_FORMAT, BMFF_FORMATS, C2PA_FORMATS, ftypBrands } from './formats.js'
export { createVideoAdapter, VIDEO_ADAPTER_NAME } from './adapter.js'
export { VIDEO_BMFF_BINDING, UNBOUND_HANDLERS, bmffDigest, type BmffDigest, type TrackDigest } from './mp4/binding.js'
export { parseMp4, type Mp4Asset } from './mp4/parse.js'
export { MAX_MOOV_BYTES } from './mp4/boxes.js'
export { MAX_SAMPLES_PER_TRACK } from './mp4/tracks.js'
export { XMP_UUID, C2PA_UUID, AIGC_KEY, LABEL_KEY } from './mp4/meta.js'
export { bytesSource, type ByteSource } from './source.js'
