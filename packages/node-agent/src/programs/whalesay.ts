/** Stand-in for docker/whalesay's `cowsay`: the message in a speech bubble above a whale. */
const msg = process.argv.slice(2).join(' ') || 'Hello from Flotilla!';
const width = Math.min(40, Math.max(...msg.split('\n').map((l) => l.length)));
const lines: string[] = [];
for (const para of msg.split('\n')) {
  let cur = '';
  for (const word of para.split(/\s+/)) {
    if (cur && (cur + ' ' + word).length > width) {
      lines.push(cur);
      cur = word;
    } else cur = cur ? `${cur} ${word}` : word;
  }
  lines.push(cur);
}
const w = Math.max(...lines.map((l) => l.length));
const out: string[] = [` ${'_'.repeat(w + 2)} `];
if (lines.length === 1) out.push(`< ${lines[0].padEnd(w)} >`);
else
  lines.forEach((l, i) => {
    const [a, b] = i === 0 ? ['/', '\\'] : i === lines.length - 1 ? ['\\', '/'] : ['|', '|'];
    out.push(`${a} ${l.padEnd(w)} ${b}`);
  });
out.push(` ${'-'.repeat(w + 2)} `);
out.push(
  String.raw`    \
     \
      \
                    ##        .
              ## ## ##       ==
           ## ## ## ##      ===
       /""""""""""""""""___/ ===
  ~~~ {~~ ~~~~ ~~~ ~~~~ ~~ ~ /  ===- ~~~
       \______ o          __/
        \    \        __/
          \____\______/`,
);
console.log(out.join('\n'));
