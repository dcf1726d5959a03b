// the shared command-line kit (packages/cli-kit)
export * from '@flotilla/cli-kit/tabwriter';
