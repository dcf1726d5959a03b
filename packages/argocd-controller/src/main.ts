export async function main(argv: string[]): Promise<number> { process.stderr.write('argocd-application-controller: not built yet ' + argv.join(' ') + '\n'); return 1; }
