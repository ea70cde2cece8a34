import { toAiDisclosureHeader, type Label } from '@tanba/core'

export const AI_DISCLOSURE_HEADER = 'AI-Disclosure'

/**
 * The `AI-Disclosure` HTTP response header value for a label (IETF draft-abaris-aicdh),
 * e.g. `mode=ai-originated, model="gpt-x", provider="Acme", date="2026-01-18T09:30:00Z"`.
 */
export function aiDisclosureHeader(label: Label): string {
  return toAiDisclosureHeader(label)
}

/** `{ 'AI-Disclosure': value }`, to spread into response headers. */
export function aiDisclosureHeaders(label: Label): Record<string, string> {
  return { [AI_DISCLOSURE_HEADER]: toAiDisclosureHeader(label) }
}
