// diff: filled by its owner (see packages/argocd-engine/README.md)
export {};
