// The closed set of C2PA rule ids Tanba reports is declared in @tanba/core (adapters report
// `c2pa.unavailable` when this package cannot be loaded); validation codes from the C2PA reader come
// on top, as `c2pa.<code>`. None is fatal: the report's C2PA marker says whether the manifest holds.
export { C2PA_RULES, c2paValidationMessage, type C2paRule } from '@tanba/core'
