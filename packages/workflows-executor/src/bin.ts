/** `node bin.js ARGS…` = `flotilla argoexec ARGS…` without the flotilla command's own start-up (the launcher in every pod runs this). */
import { main } from './main.js';

process.exitCode = await main(process.argv.slice(2));
