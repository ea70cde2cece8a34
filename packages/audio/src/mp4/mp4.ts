import { UnsupportedFormatError } from '@tanba/core'
import type { AudioCodec } from '../types.js'
const no = (): never => { throw new UnsupportedFormatError('not yet') }
export const m4aCodec: AudioCodec = { id: 'm4a', bindingMethod: 'x', read: no, essence: no, write: no }
