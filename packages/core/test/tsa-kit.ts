// A real RFC 3161 time-stamping authority for tests: `openssl ts -reply` behind a tiny HTTP server
// on 127.0.0.1 (a free port), with a TSA root and TSA certificate made in the test.
import { execFile } from 'node:child_process'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { createServer, type Server } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { toPem } from '../src/index.js'
import { issue, KU, OID, type Issued } from './pki-kit.js'

const run = promisify(execFile)

export interface LocalTsa {
  url: string
  root: Issued
  tsa: Issued
  /** How many requests it answered. */
  requests: () => number
  close(): Promise<void>
}

export async function hasOpenssl(): Promise<boolean> {
  return run('openssl', ['version']).then(
    () => true,
    () => false,
  )
}

export async function startTsa(): Promise<LocalTsa> {
  const dir = await mkdtemp(join(tmpdir(), 'tanba-tsa-'))
  const root = await issue({ cn: 'Test TSA Root', ca: true })
  const tsa = await issue({ cn: 'Test TSA', issuer: root, ku: KU.digitalSignature, eku: [OID.timeStamping], ekuCritical: true })
  const key = toPem('PRIVATE KEY', new Uint8Array(await crypto.subtle.exportKey('pkcs8', tsa.keys.privateKey)))
  await writeFile(join(dir, 'tsa.pem'), tsa.pem)
  await writeFile(join(dir, 'tsa.key'), key)
  await writeFile(join(dir, 'chain.pem'), root.pem)
  await writeFile(join(dir, 'serial'), '01\n')
  await writeFile(
    join(dir, 'tsa.cnf'),
    [
      '[ tsa ]',
      'default_tsa = tsa_config',
      '[ tsa_config ]',
      `dir = ${dir}`,
      'serial = $dir/serial',
      'crypto_device = builtin',
      'signer_cert = $dir/tsa.pem',
      'certs = $dir/chain.pem',
      'signer_key = $dir/tsa.key',
      'signer_digest = sha256',
      'default_policy = 1.3.6.1.4.1.55555.2.1',
      'digests = sha256, sha384, sha512',
      'accuracy = secs:1',
      'ordering = yes',
      'tsa_name = yes',
      'ess_cert_id_chain = no',
      'ess_cert_id_alg = sha256',
      '',
    ].join('\n'),
  )
  let count = 0
  // openssl ts keeps its serial in one file: answer one request at a time.
  let queue = Promise.resolve()
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      queue = queue.then(async () => {
        const n = ++count
        const query = join(dir, `q${n}.tsq`)
        const reply = join(dir, `r${n}.tsr`)
        try {
          if (req.method !== 'POST' || req.headers['content-type'] !== 'application/timestamp-query') throw new Error('expected a POST of application/timestamp-query')
          await writeFile(query, Buffer.concat(chunks))
          await run('openssl', ['ts', '-reply', '-config', join(dir, 'tsa.cnf'), '-queryfile', query, '-out', reply])
          const body = await readFile(reply)
          res.writeHead(200, { 'content-type': 'application/timestamp-reply' }).end(body)
        } catch (error) {
          res.writeHead(400).end(String(error))
        }
      })
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const address = server.address()
  if (!address || typeof address === 'string') throw new Error('no port')
  return {
    url: `http://127.0.0.1:${address.port}/tsa`,
    root,
    tsa,
    requests: () => count,
    async close() {
      await new Promise<void>((resolve) => server.close(() => resolve()))
      await rm(dir, { recursive: true, force: true })
    },
  }
}
