/** What to do about an error, by code: one sentence a person can act on. */
export function errorHint(code: string | undefined, details?: Record<string, unknown>): string | undefined {
  // A file whose content is another format than its name says is misnamed, not damaged.
  if (code === 'TANBA_MALFORMED_INPUT' && typeof details?.found === 'string') return 'Rename the file to match its content, or give its media type.'
  // A format that cannot take the notice (too small, a TIFF sharp cannot decode, HEIC) still stamps without it.
  if (code === 'TANBA_UNSUPPORTED_FORMAT' && details?.option === 'notice.visible') return 'Stamp it with --no-visible (SDK: notice: { visible: false }) for the machine-readable label alone.'
  switch (code) {
    case 'TANBA_UNRECOGNISED_FORMAT':
      return 'Check that the file is an image, PDF, audio, video or text file of a supported format, or give its media type.'
    case 'TANBA_UNSUPPORTED_FORMAT':
      return 'Convert it to a supported format first (see docs/cli.md for the list).'
    case 'TANBA_MALFORMED_INPUT':
      return 'The file looks damaged or truncated: export it again from its source.'
    case 'TANBA_ENCRYPTED_INPUT':
      return 'Give the password (SDK: adapterOptions.pdf.password; CLI: --pdf-password-file), or remove the protection and try again.'
    case 'TANBA_TOO_LARGE':
      return 'The file exceeds a safety limit: split it or raise the limit in the SDK options.'
    case 'TANBA_INVALID_KEY':
      return 'Check the --key/--cert files (a PKCS#8 PEM private key and its certificate chain), or run "tanba keygen".'
    case 'TANBA_INVALID_OPTION':
      return 'Check the options and the config file; "tanba <command> --help" lists them.'
    case 'TANBA_DEPENDENCY_MISSING':
      return 'Install the package named in the message.'
    case 'TANBA_DEPENDENCY_FAILED':
      return 'A library failed on this file; the file may be malformed. Try re-exporting it.'
    case 'ENOENT':
      return 'Check the path.'
    case 'EACCES':
    case 'EPERM':
      return 'Check the file permissions.'
    case 'EISDIR':
      return 'Give a file, or use --out-dir for folders.'
    default:
      return undefined
  }
}
