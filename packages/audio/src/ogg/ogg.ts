import { UnsupportedFormatError } from '@tanba/core'
import type { AudioCodec } from '../types.js'
const no = (): never => { throw new UnsupportedFormatError('not yet') }
export const oggCodec: AudioCodec = { id: 'ogg', bindingMethod: 'x', read: no, essence: no, write: no }
