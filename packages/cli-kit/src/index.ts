/** @flotilla/cli-kit: the command-line kit the Argo CLIs share (cobra-like commands, pflag-like flags, Go's tabwriter, output). */
export * from './flags.js';
export * from './command.js';
export * from './io.js';
export * from './tabwriter.js';
export * from './output.js';
export { default as YAML } from './yaml.js';
