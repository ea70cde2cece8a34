// @tanba/c2pa in browsers and edge runtimes: the native addon cannot run there, so this entry has
// no reader and no signer. It turns a manifest store read by a browser C2PA reader (for example
// @contentauth/c2pa-web, which wraps the same c2pa-rs in WebAssembly) into the same report
// material the Node entry produces. Bundlers pick it for `@tanba/c2pa` under the "browser"
// condition, so adapters that load C2PA lazily find no reader there and say so.
export { summariseManifestStore, TANBA_LABEL_ASSERTION, C2PA_AI_SOURCE_TYPES, isAiSourceType, type C2paSummary, type C2paManifestSummary, type C2paStatusEntry, type C2paSignatureInfo, type C2paAction, type C2paIngredient } from './summary.js'
export { c2paFindingsFromSummary, c2paFields, integrityCodes, type C2paFindings, type C2paFields } from './summary-findings.js'
export { C2PA_RULES, type C2paRule } from './rules.js'
export { c2paSupport, c2paMediaTypes, normaliseMediaType, type C2paSupport } from './formats.js'
