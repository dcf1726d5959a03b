export async function main(argv: string[]): Promise<number> { process.stderr.write('argocd-server: not built yet ' + argv.join(' ') + '\n'); return 1; }
