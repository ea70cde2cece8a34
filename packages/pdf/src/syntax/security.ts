import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto'
import { concatBytes as concat, equalBytes as equal, EncryptedInputError, MalformedInputError, UnsupportedFormatError, utf8 } from '@tanba/core'
import { PDFBool, PDFDict, PDFHexString, PDFName, PDFNumber, PDFString, type PDFObject } from 'pdf-lib'

// The PDF standard security handler (ISO 32000-2, 7.6.4): RC4 and AES-128 (revisions 2-4)
// and AES-256 (revisions 5 and 6). Tanba decrypts what it reads and encrypts what it
// appends with the document's own file key, so an encrypted document stays consistently
// encrypted after the incremental update.

const PAD = Uint8Array.from([
  0x28, 0xbf, 0x4e, 0x5e, 0x4e, 0x75, 0x8a, 0x41, 0x64, 0x00, 0x4e, 0x56, 0xff, 0xfa, 0x01, 0x08, 0x2e, 0x2e, 0x00, 0xb6, 0xd0, 0x68, 0x3e, 0x80, 0x2f, 0x0c,
  0xa9, 0xfe, 0x64, 0x53, 0x69, 0x7a,
])

type Method = 'none' | 'rc4' | 'aes128' | 'aes256'
/** Metadata streams may stay clear (/EncryptMetadata false); embedded files may use /EFF. */
export type StreamKind = 'stream' | 'metadata' | 'embedded-file'

export interface SecurityHandler {
  readonly revision: number
  /** The /P permission flags as a signed 32-bit integer. */
  readonly permissions: number
  readonly encryptMetadata: boolean
  /** How the supplied (or empty) password matched. */
  readonly authenticatedAs: 'user' | 'owner'
  decryptString(bytes: Uint8Array, objectNumber: number, generation: number): Uint8Array
  decryptStream(bytes: Uint8Array, objectNumber: number, generation: number, kind?: StreamKind): Uint8Array
  encryptString(bytes: Uint8Array, objectNumber: number, generation: number): Uint8Array
  encryptStream(bytes: Uint8Array, objectNumber: number, generation: number, kind?: StreamKind): Uint8Array
}

export interface SecurityInput {
  encrypt: PDFDict
  /** First element of the trailer /ID (raw bytes). */
  id0: Uint8Array
  password?: string
  resolve: (obj: PDFObject | undefined) => PDFObject | undefined
}

/** Opens the standard security handler with the given password (empty by default). */
export function openSecurityHandler(input: SecurityInput): SecurityHandler {
  const { encrypt, resolve } = input
  const get = (d: PDFDict, key: string) => resolve(d.get(PDFName.of(key)))
  const filter = get(encrypt, 'Filter')
  if (!(filter instanceof PDFName) || filter.asString() !== '/Standard') {
    throw new EncryptedInputError(`The PDF is encrypted with the ${filter instanceof PDFName ? filter.asString().slice(1) : 'unknown'} security handler; only the standard (password) handler is supported`)
  }
  const numberOf = (key: string, fallback?: number) => {
    const v = get(encrypt, key)
    if (v instanceof PDFNumber) return v.asNumber()
    if (fallback === undefined) throw new MalformedInputError(`The PDF /Encrypt dictionary has no /${key}`)
    return fallback
  }
  const bytesOf = (key: string) => {
    const v = get(encrypt, key)
    if (v instanceof PDFHexString || v instanceof PDFString) return v.asBytes()
    throw new MalformedInputError(`The PDF /Encrypt dictionary has no /${key} string`)
  }
  const V = numberOf('V', 0)
  const R = numberOf('R')
  const P = numberOf('P') | 0
  const em = get(encrypt, 'EncryptMetadata')
  const encryptMetadata = !(em instanceof PDFBool) || em.asBoolean()
  if (![1, 2, 4, 5].includes(V) || R < 2 || R > 6) throw new UnsupportedFormatError(`The PDF uses standard security handler V${V} R${R}, which Tanba does not support`)

  // Which cipher strings and streams use.
  let stmMethod: Method = 'rc4'
  let strMethod: Method = 'rc4'
  let effMethod: Method = 'rc4'
  let keyLength = V === 1 ? 5 : Math.floor(numberOf('Length', 40) / 8)
  if (V >= 4) {
    const cf = get(encrypt, 'CF')
    const methodOf = (name: PDFObject | undefined): Method => {
      if (!(name instanceof PDFName) || name.asString() === '/Identity') return 'none'
      const filterDict = cf instanceof PDFDict ? resolve(cf.get(name)) : undefined
      const cfm = filterDict instanceof PDFDict ? resolve(filterDict.get(PDFName.of('CFM'))) : undefined
      const m = cfm instanceof PDFName ? cfm.asString() : '/None'
      if (m === '/V2') return 'rc4'
      if (m === '/AESV2') return 'aes128'
      if (m === '/AESV3') return 'aes256'
      if (m === '/None') return 'none'
      throw new UnsupportedFormatError(`The PDF uses crypt filter method ${m}, which Tanba does not support`)
    }
    stmMethod = methodOf(get(encrypt, 'StmF') ?? PDFName.of('Identity'))
    strMethod = methodOf(get(encrypt, 'StrF') ?? PDFName.of('Identity'))
    const eff = get(encrypt, 'EFF')
    effMethod = eff ? methodOf(eff) : stmMethod
    if (V === 4) keyLength = 16
    if (V === 5) keyLength = 32
  }
  if (keyLength < 5 || keyLength > 32) throw new MalformedInputError(`The PDF /Encrypt key length ${keyLength * 8} is out of range`)

  const O = bytesOf('O')
  const U = bytesOf('U')
  const password = input.password ?? ''
  let fileKey: Uint8Array | undefined
  let authenticatedAs: 'user' | 'owner' = 'user'

  if (R >= 5) {
    const pw = utf8(password.normalize('NFKC')).subarray(0, 127)
    if (O.length < 48 || U.length < 48) throw new MalformedInputError('The PDF /Encrypt /O or /U entry is too short for AES-256')
    const hash = (salt: Uint8Array, udata: Uint8Array) => (R === 5 ? sha('sha256', pw, salt, udata) : hash2B(pw, salt, udata))
    if (equal(hash(O.subarray(32, 40), U.subarray(0, 48)), O.subarray(0, 32))) {
      authenticatedAs = 'owner'
      fileKey = aesNoPad(false, hash(O.subarray(40, 48), U.subarray(0, 48)), new Uint8Array(16), bytesOf('OE').subarray(0, 32))
    } else if (equal(hash(U.subarray(32, 40), new Uint8Array(0)), U.subarray(0, 32))) {
      fileKey = aesNoPad(false, hash(U.subarray(40, 48), new Uint8Array(0)), new Uint8Array(16), bytesOf('UE').subarray(0, 32))
    }
  } else {
    const pw = latin1Password(password)
    const userKey = (userPw: Uint8Array) => computeKeyR4(userPw, O, P, input.id0, R, keyLength, encryptMetadata)
    const checkUser = (key: Uint8Array) => {
      if (R === 2) return equal(rc4(key, PAD), U.subarray(0, 32))
      let x = rc4(key, md5(PAD, input.id0))
      for (let i = 1; i <= 19; i++) x = rc4(xorKey(key, i), x)
      return equal(x, U.subarray(0, 16))
    }
    const k = userKey(pw)
    if (checkUser(k)) fileKey = k
    else {
      // Owner password: recover the user password from /O.
      let ok = md5(padded(pw))
      if (R >= 3) for (let i = 0; i < 50; i++) ok = md5(ok)
      const rk = ok.subarray(0, keyLength)
      let userPw = O.subarray(0, 32)
      if (R === 2) userPw = rc4(rk, userPw)
      else for (let i = 19; i >= 0; i--) userPw = rc4(xorKey(rk, i), userPw)
      const k2 = userKey(userPw)
      if (checkUser(k2)) {
        fileKey = k2
        authenticatedAs = 'owner'
      }
    }
  }
  if (!fileKey) {
    throw new EncryptedInputError(
      input.password === undefined
        ? 'The PDF is encrypted with a password; pass it as adapterOptions.pdf.password to label it'
        : 'The PDF is encrypted and the supplied password opens it neither as user nor as owner',
      { details: { option: 'adapterOptions.pdf.password' } },
    )
  }
  const key = fileKey

  const objectKey = (method: Method, num: number, gen: number) => {
    if (method === 'aes256') return key
    const salt = method === 'aes128' ? Uint8Array.from([0x73, 0x41, 0x6c, 0x54]) : new Uint8Array(0)
    const k = md5(key, Uint8Array.from([num & 0xff, (num >> 8) & 0xff, (num >> 16) & 0xff, gen & 0xff, (gen >> 8) & 0xff]), salt)
    return k.subarray(0, Math.min(key.length + 5, 16))
  }
  const decrypt = (method: Method, data: Uint8Array, num: number, gen: number) => {
    if (method === 'none') return data
    const k = objectKey(method, num, gen)
    if (method === 'rc4') return rc4(k, data)
    if (data.length < 16) return new Uint8Array(0)
    try {
      const d = createDecipheriv(method === 'aes256' ? 'aes-256-cbc' : 'aes-128-cbc', k, data.subarray(0, 16))
      return new Uint8Array(Buffer.concat([d.update(data.subarray(16)), d.final()]))
    } catch (cause) {
      throw new MalformedInputError(`An encrypted PDF string or stream (object ${num}) does not decrypt`, { cause })
    }
  }
  const encryptWith = (method: Method, data: Uint8Array, num: number, gen: number) => {
    if (method === 'none') return data
    const k = objectKey(method, num, gen)
    if (method === 'rc4') return rc4(k, data)
    const iv = randomBytes(16)
    const c = createCipheriv(method === 'aes256' ? 'aes-256-cbc' : 'aes-128-cbc', k, iv)
    return new Uint8Array(Buffer.concat([iv, c.update(data), c.final()]))
  }
  const streamMethod = (kind: StreamKind | undefined): Method => (kind === 'metadata' && !encryptMetadata ? 'none' : kind === 'embedded-file' ? effMethod : stmMethod)
  return {
    revision: R,
    permissions: P,
    encryptMetadata,
    authenticatedAs,
    decryptString: (b, n, g) => decrypt(strMethod, b, n, g),
    decryptStream: (b, n, g, m) => decrypt(streamMethod(m), b, n, g),
    encryptString: (b, n, g) => encryptWith(strMethod, b, n, g),
    encryptStream: (b, n, g, m) => encryptWith(streamMethod(m), b, n, g),
  }
}

function computeKeyR4(pw: Uint8Array, O: Uint8Array, P: number, id0: Uint8Array, R: number, n: number, encryptMetadata: boolean): Uint8Array {
  const p = Uint8Array.from([P & 0xff, (P >> 8) & 0xff, (P >> 16) & 0xff, (P >>> 24) & 0xff])
  const extra = R >= 4 && !encryptMetadata ? Uint8Array.from([0xff, 0xff, 0xff, 0xff]) : new Uint8Array(0)
  let k = md5(padded(pw), O.subarray(0, 32), p, id0, extra)
  if (R >= 3) for (let i = 0; i < 50; i++) k = md5(k.subarray(0, n))
  return k.subarray(0, R === 2 ? 5 : n)
}

/** Algorithm 2.B (ISO 32000-2): the iterated SHA-2/AES hash of revision 6. */
function hash2B(pw: Uint8Array, salt: Uint8Array, udata: Uint8Array): Uint8Array {
  let k = sha('sha256', pw, salt, udata)
  for (let round = 0; ; round++) {
    const unit = concat(pw, k, udata)
    const k1 = new Uint8Array(unit.length * 64)
    for (let i = 0; i < 64; i++) k1.set(unit, i * unit.length)
    const e = aesNoPad(true, k.subarray(0, 16), k.subarray(16, 32), k1)
    let sum = 0
    for (let i = 0; i < 16; i++) sum += e[i]!
    k = sha(['sha256', 'sha384', 'sha512'][sum % 3]!, e)
    if (round >= 63 && e[e.length - 1]! <= round - 31) break
  }
  return k.subarray(0, 32)
}

function aesNoPad(encrypt: boolean, key: Uint8Array, iv: Uint8Array, data: Uint8Array): Uint8Array {
  const alg = key.length === 16 ? 'aes-128-cbc' : 'aes-256-cbc'
  const c = encrypt ? createCipheriv(alg, key, iv) : createDecipheriv(alg, key, iv)
  c.setAutoPadding(false)
  return new Uint8Array(Buffer.concat([c.update(data), c.final()]))
}

function sha(alg: string, ...parts: Uint8Array[]): Uint8Array {
  const h = createHash(alg)
  for (const p of parts) h.update(p)
  return new Uint8Array(h.digest())
}

function md5(...parts: Uint8Array[]): Uint8Array {
  return sha('md5', ...parts)
}

export function rc4(key: Uint8Array, data: Uint8Array): Uint8Array {
  const s = new Uint8Array(256)
  for (let i = 0; i < 256; i++) s[i] = i
  for (let i = 0, j = 0; i < 256; i++) {
    j = (j + s[i]! + key[i % key.length]!) & 0xff
    const t = s[i]!
    s[i] = s[j]!
    s[j] = t
  }
  const out = new Uint8Array(data.length)
  for (let n = 0, i = 0, j = 0; n < data.length; n++) {
    i = (i + 1) & 0xff
    j = (j + s[i]!) & 0xff
    const t = s[i]!
    s[i] = s[j]!
    s[j] = t
    out[n] = data[n]! ^ s[(s[i]! + s[j]!) & 0xff]!
  }
  return out
}

function xorKey(key: Uint8Array, i: number): Uint8Array {
  return key.map((b) => b ^ i)
}

function padded(pw: Uint8Array): Uint8Array {
  const out = new Uint8Array(32)
  const n = Math.min(32, pw.length)
  out.set(pw.subarray(0, n))
  out.set(PAD.subarray(0, 32 - n), n)
  return out
}

function latin1Password(pw: string): Uint8Array {
  return Uint8Array.from(pw, (c) => c.charCodeAt(0) & 0xff)
}

