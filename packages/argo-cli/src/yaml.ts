// the lazily loaded `yaml` package of the shared command-line kit (packages/cli-kit)
export { default } from '@flotilla/cli-kit/yaml';
