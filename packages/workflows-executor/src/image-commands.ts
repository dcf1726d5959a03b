/** An image's own program names (the node agent's image table `commands`), as the node agent resolves a container's first word (pure). */
import { DEFAULT_IMAGES, fillPlaceholders, parseImage } from '@flotilla/node-agent/images';

/** The argv with the image's program names (e.g. argosay's `/argosay`, `cowsay`) replaced by the programs standing in for them. */
export function resolveImageCommand(argv: string[], image: string | undefined, table: Record<string, { commands?: Record<string, string | string[]> }> = DEFAULT_IMAGES): string[] {
  if (!image || !argv.length) return argv;
  const ref = parseImage(image);
  const m = table[`${ref.repo}:${ref.tag}`] ?? table[ref.repo];
  const alias = m?.commands?.[argv[0]];
  if (alias === undefined) return argv;
  const fill = (s: string) => fillPlaceholders(s, { tag: ref.tag, podIP: '' });
  return [...(Array.isArray(alias) ? alias : [alias]).map(fill), ...argv.slice(1)];
}
