// exiftool-vendored, loaded on first use, for writing XMP into TIFF, AVIF and HEIC.
import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { DependencyError } from '@tanba/core'
import type { ExifTool } from 'exiftool-vendored'
import { hostWriter } from './exiftool-host.js'

let instance: Promise<ExifTool> | undefined

/**
 * ExifTool in -stay_open mode polls its standard input forever once the pipe closes, so a Node process
 * that dies without ending it (SIGKILL, a crash) leaves a Perl process behind for good. This guard,
 * run by the same Perl before ExifTool, forks a watcher that ends ExifTool within a second of Node
 * being gone, and ends itself when ExifTool does. (POSIX only; on Windows ExifTool runs unguarded.)
 */
export const EXIFTOOL_GUARD = `
my ($node, $self) = (getppid(), $$);
my $watch = fork();
if (defined $watch && $watch == 0) {
  open(STDIN, '<', '/dev/null'); open(STDOUT, '>', '/dev/null'); open(STDERR, '>', '/dev/null');
  while (1) {
    sleep 1;
    exit 0 if getppid() != $self;
    next if kill 0, $node;
    kill 'KILL', $self;
    exit 0;
  }
}
my $script = shift @ARGV;
$0 = $script;
do $script;
die $@ if $@;
exit 0;
`

/** A new ExifTool (one persistent Perl process, started on its first task), guarded as described above. */
export function startExiftool(): Promise<ExifTool> {
  return import('exiftool-vendored').then(
    (m) =>
      new m.ExifTool({
        maxProcs: 1,
        taskTimeoutMillis: 30_000,
        ...(process.platform === 'win32'
          ? {}
          : {
              processFactory: async () =>
                spawn(existsSync('/usr/bin/perl') ? '/usr/bin/perl' : 'perl', ['-e', EXIFTOOL_GUARD, await m.exiftoolPath(), ...m.DefaultExiftoolArgs], {
                  stdio: 'pipe',
                  shell: false,
                  detached: false,
                  env: { ...process.env, LANG: 'C' },
                }),
            }),
      }),
    (cause) => {
      throw new DependencyError('TANBA_DEPENDENCY_MISSING', 'The optional dependency "exiftool-vendored" is needed to write XMP into TIFF, AVIF and HEIC files; install it', { cause })
    },
  )
}

/** The shared ExifTool process (one persistent Perl process, started on first use). */
export function getExiftool(): Promise<ExifTool> {
  instance ??= startExiftool().catch((error: unknown) => {
    instance = undefined
    throw error
  })
  return instance
}

/**
 * Replaces the XMP block of the file at `file` with the packet in the file at `xmp`; with
 * `tagsFrom`, first copies every writable tag (EXIF, GPS, IPTC, ICC profile, XMP…) from that file.
 */
export function writeXmpFile(et: ExifTool, file: string, xmp: string | undefined, tagsFrom?: string): Promise<void> {
  const writeArgs = [...(tagsFrom ? ['-tagsFromFile', tagsFrom, '-all:all', '-unsafe', '-ICC_Profile'] : []), ...(xmp ? [`-XMP<=${xmp}`] : [])]
  return et.write(file, {}, { writeArgs, ignoreMinorErrors: true }).then(() => undefined)
}

/** Ends the ExifTool process (it also ends by itself when Node exits). */
export async function closeExiftool(): Promise<void> {
  const pending = instance
  instance = undefined
  if (pending) await (await pending).end()
}

/** Copies every writable tag of `source` (EXIF, GPS, IPTC, ICC profile, XMP) into `bytes`, a new encoding of it, through ExifTool. */
export function exiftoolCopyTags(bytes: Uint8Array, extension: string, source: Uint8Array): Promise<Uint8Array> {
  return exiftoolWriteXmp(bytes, extension, undefined, source)
}

/** Replaces the whole XMP block of a file with `packet`, through ExifTool, in a private temporary folder. */
export async function exiftoolWriteXmp(bytes: Uint8Array, extension: string, packet: string | undefined, tagsFrom?: Uint8Array): Promise<Uint8Array> {
  // In a worker thread connected to a host (see exiftool-host.ts), the host's ExifTool does the write.
  const remote = hostWriter()
  const et = remote ? undefined : await getExiftool()
  const dir = await mkdtemp(join(tmpdir(), 'tanba-image-'))
  try {
    const file = join(dir, `image.${extension}`)
    const xmp = packet === undefined ? undefined : join(dir, 'packet.xmp')
    const source = tagsFrom ? join(dir, `source.${extension}`) : undefined
    await Promise.all([writeFile(file, bytes), xmp && writeFile(xmp, packet!), source && writeFile(source, tagsFrom!)])
    try {
      await (remote ? remote(file, xmp, source) : writeXmpFile(et!, file, xmp, source))
    } catch (cause) {
      if (cause instanceof DependencyError && cause.code === 'TANBA_DEPENDENCY_MISSING') throw cause
      throw new DependencyError('TANBA_DEPENDENCY_FAILED', `ExifTool could not write XMP into the ${extension.toUpperCase()} file: ${(cause as Error).message}`, { cause })
    }
    return new Uint8Array(await readFile(file))
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}
