// @flotilla/crd-schema — CustomResourceDefinition semantics: structural schemas, validation, defaulting, pruning, printer columns.
export {};
