// @flotilla/crd-schema — CustomResourceDefinition semantics: structural schemas, validation, defaulting, pruning, printer columns.
export {
  validateCrd,
  applyCrdDefaults,
  crdResources,
  crdVersions,
  crdStorageVersion,
  crdVersionSchema,
  crdTablePrinter,
  printerCell,
  compareKubeVersions,
  CRD_VERBS,
  type CrdVersion,
  type CrdSpec,
  type CrdNames,
  type CrdPrinterColumn,
  type CrdScale,
  type CrdSubresources,
} from './crd.js';
export { validateCrdSchema, isStructural } from './structural.js';
export {
  validateObject,
  validateValue,
  validateDns1035Label,
  deepEqual,
  canonicalJson,
  type ValidateOptions,
} from './validate.js';
export { applySchemaDefaults } from './defaults.js';
export { pruneUnknownFields, findUnknownFields, findUnknownAt, strictDecodingError } from './prune.js';
export { jsonPathQuery, parseJsonPath, JsonPathError, type JsonPath, type JsonPathSegment, type JsonPathFilter } from './jsonpath.js';
export {
  Reason,
  formatCause,
  formatCauses,
  formatValue,
  required,
  forbidden,
  invalid,
  typeInvalid,
  notSupported,
  duplicate,
  tooLong,
  tooMany,
} from './errors.js';
export { jsonTypeOf, objectMetaSchema, mergedMetaSchema, OBJECT_META_FIELDS, resolve as resolveSchema } from './schema.js';
export { checkStringFormat, checkNumberFormat } from './formats.js';
export { compilePattern } from './regex.js';

/** x-kubernetes-int-or-string: an integer (JSON number without fraction) or a string. */
export function intOrStringOk(v: unknown): boolean {
  return typeof v === 'string' || (typeof v === 'number' && Number.isInteger(v));
}
