import { mkdtemp, readFile, readdir, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { developmentCredentials, loadPemSigner, loadTrustStore, writeFileAtomic, writeFileAtomicSync } from '../src/node.js'
import { signLabel, verifyLabelSignature, InvalidKeyError, InvalidOptionError } from '../src/index.js'
import { sampleUnsigned } from './helpers.js'

const saved = process.env.TANBA_CONFIG_DIR
afterEach(() => {
  if (saved === undefined) delete process.env.TANBA_CONFIG_DIR
  else process.env.TANBA_CONFIG_DIR = saved
})

describe('node helpers', () => {
  it('creates the development key once, private to the user, and it verifies as untrusted', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'tanba-cfg-'))
    process.env.TANBA_CONFIG_DIR = dir
    const first = await developmentCredentials()
    expect(first.created).toBe(true)
    expect(first.warning).toMatch(/untrusted/)
    expect((await stat(first.keyPath)).mode & 0o777).toBe(0o600)
    const second = await developmentCredentials()
    expect(second.created).toBe(false)
    expect(second.signer.kid).toBe(first.signer.kid)
    const label = await signLabel(sampleUnsigned(), second.signer)
    expect((await verifyLabelSignature(label)).trust).toBe('untrusted')
    const trust = await loadTrustStore([first.caPath])
    expect((await verifyLabelSignature(label, { trust })).trust).toBe('trusted')
  })

  it('loads PEM signers from files with clear errors', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'tanba-cfg-'))
    process.env.TANBA_CONFIG_DIR = dir
    const dev = await developmentCredentials()
    const signer = await loadPemSigner(dev.keyPath, dev.chainPath)
    expect(signer.certificates).toHaveLength(2)
    await expect(loadPemSigner(dev.chainPath)).rejects.toThrow(`Expected a PEM private key in ${dev.chainPath} but the file holds a certificate`)
    await expect(loadPemSigner(join(dir, 'missing.key'))).rejects.toThrow(InvalidOptionError)
    await expect(loadPemSigner(dev.keyPath, dev.keyPath)).rejects.toThrow(InvalidKeyError)
  })

  it('writes atomically and leaves no temporary file behind', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'tanba-atomic-'))
    const path = join(dir, 'out.bin')
    await writeFile(path, 'old')
    await writeFileAtomic(path, new Uint8Array([1, 2, 3]))
    expect([...(await readFile(path))]).toEqual([1, 2, 3])
    expect(await readdir(dir)).toEqual(['out.bin'])
    await expect(writeFileAtomic(join(dir, 'no-such-dir', 'x'), 'x')).rejects.toThrow()
    expect(await readdir(dir)).toEqual(['out.bin'])
  })

  it('writes atomically with synchronous calls too, with the mode asked for, and cleans up on failure', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'tanba-atomic-sync-'))
    const path = join(dir, 'out.bin')
    await writeFile(path, 'old')
    const big = new Uint8Array(3 << 20).map((_, i) => i & 255)
    writeFileAtomicSync(path, big, { mode: 0o640 })
    expect(new Uint8Array(await readFile(path))).toEqual(big)
    if (process.platform !== 'win32') expect((await stat(path)).mode & 0o777).toBe(0o640)
    // Pieces are written in order without being joined first, by both writers.
    const pieces = [Uint8Array.of(1, 2), new Uint8Array(0), big.subarray(10, 70_000), Uint8Array.of(3)]
    const expected = new Uint8Array([1, 2, ...big.subarray(10, 70_000), 3])
    writeFileAtomicSync(path, pieces)
    expect(new Uint8Array(await readFile(path))).toEqual(expected)
    await writeFileAtomic(path, pieces)
    expect(new Uint8Array(await readFile(path))).toEqual(expected)
    // More pieces than one writev call takes (IOV_MAX is 1024 on Linux): the rest follow.
    const many = Array.from({ length: 3000 }, (_, i) => Uint8Array.of(i & 255, (i >> 8) & 255))
    const manyJoined = new Uint8Array(many.flatMap((p) => [...p]))
    writeFileAtomicSync(path, many)
    expect(new Uint8Array(await readFile(path))).toEqual(manyJoined)
    await writeFileAtomic(path, many)
    expect(new Uint8Array(await readFile(path))).toEqual(manyJoined)
    writeFileAtomicSync(path, [])
    expect((await readFile(path)).length).toBe(0)
    writeFileAtomicSync(path, 'Жасанды')
    expect(await readFile(path, 'utf8')).toBe('Жасанды')
    expect(await readdir(dir)).toEqual(['out.bin'])
    expect(() => writeFileAtomicSync(join(dir, 'no-such-dir', 'x'), 'x')).toThrow()
    expect(await readdir(dir)).toEqual(['out.bin'])
  })
})
