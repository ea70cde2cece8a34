import { relative, isAbsolute } from 'node:path'
import { writeSigningCredentials } from 'tanba/node'
import { colorsFor, type Io } from '../output.js'
import { formatFatal } from '../fatal.js'

export interface KeygenFlags {
  out: string
  name: string
  org?: string
  country?: string
  days?: number
  force?: boolean
}

export async function runKeygen(flags: KeygenFlags, io: Io): Promise<number> {
  const c = colorsFor(io.stdout, io.env)
  const show = (p: string) => {
    const rel = relative(io.cwd, p)
    return rel && !rel.startsWith('..') && !isAbsolute(rel) ? rel : p
  }
  try {
    const dir = isAbsolute(flags.out) ? flags.out : `${io.cwd}/${flags.out}`
    const r = await writeSigningCredentials(dir, {
      commonName: flags.name,
      ...(flags.org ? { organization: flags.org } : {}),
      ...(flags.country ? { country: flags.country } : {}),
      ...(flags.days ? { validityDays: flags.days } : {}),
      overwrite: Boolean(flags.force),
    })
    const [ca, chain, key] = [show(r.caPath), show(r.chainPath), show(r.keyPath)]
    io.stdout.write(
      [
        `${c.green('Wrote')} a private CA and an ES256 signing certificate for ${r.subject}:`,
        `  ${ca.padEnd(28)} the root certificate: give it to verifiers (their trust store)`,
        `  ${chain.padEnd(28)} the signing certificate followed by its chain`,
        `  ${key.padEnd(28)} the private key, readable only by you (mode 0600): keep it secret`,
        '',
        c.bold('Use them:'),
        `  tanba stamp generated/ --out-dir labelled/ --key ${key} --cert ${chain}`,
        `  tanba verify labelled/ --trust ${chain} --require-trusted`,
        '',
        c.dim(`Verifiers trust labels that carry the certificate chain (images, PDFs, audio) through ${ca};`),
        c.dim(`compact text labels carry only the key, so give them ${chain} (the certificate and its CA).`),
        '',
        `or in tanba.config.json: { "keys": { "key": "${key}", "cert": "${chain}" }, "trust": ["${chain}"] }`,
        '',
        c.yellow('This CA is your own, so only verifiers who add ca.pem will trust it. For production,'),
        c.yellow('have a real certificate authority issue the signing certificate (C2PA validators trust'),
        c.yellow('only known CAs), and keep the private key in a KMS or HSM where you can.'),
        '',
      ].join('\n'),
    )
    return 0
  } catch (error) {
    io.stderr.write(`${formatFatal(error, io)}\n`)
    return 3
  }
}
