/** Entry point (skeleton): an Ingress controller for IngressClass nginx: Ingress objects rendered into nginx's config. */
export async function main(argv: string[]): Promise<number> {
  process.stderr.write(`@flotilla/ingress-nginx/main: not built yet (${argv.join(" ")})\n`);
  return 1;
}
