/**
 * A small cobra: a tree of commands, each with its flags (pflag semantics, see flags.ts), help
 * rendered with cobra's default templates (so `--help` looks like upstream's), and dispatch.
 */
import { FlagError, flagUsages, parseFlags, type FlagDef } from './flags.js';
import { io } from './io.js';

export interface RunContext {
  cmd: Command;
  args: string[];
  /** every flag's value (local and inherited), camel-cased names */
  opts: Record<string, any>;
  /** keys of flags set on the command line */
  changed: Set<string>;
}

export interface CommandSpec {
  /** "get APPNAME" */
  use: string;
  short: string;
  long?: string;
  example?: string;
  aliases?: string[];
  flags?: FlagDef[];
  /** flags inherited by sub-commands (the root's global flags) */
  persistentFlags?: FlagDef[];
  hidden?: boolean;
  /** exact argument count check: prints help and exits 1 when violated (as the Argo commands do) */
  args?: { min?: number; max?: number };
  run?: (ctx: RunContext) => Promise<number | void> | number | void;
}

/** Thrown by a command to exit with a code without a message (the message was printed). */
export class Exit extends Error {
  constructor(readonly code: number) {
    super(`exit ${code}`);
  }
}

export class Command {
  parent?: Command;
  readonly children: Command[] = [];
  constructor(readonly spec: CommandSpec) {}

  get name(): string {
    return this.spec.use.split(' ')[0];
  }

  add(...cmds: Command[]): this {
    for (const c of cmds) {
      c.parent = this;
      this.children.push(c);
    }
    return this;
  }

  path(): string {
    return this.parent ? `${this.parent.path()} ${this.name}` : this.name;
  }

  private helpFlag(): FlagDef {
    return { name: 'help', short: 'h', type: 'bool', usage: `help for ${this.name}` };
  }

  localFlags(): FlagDef[] {
    return [...(this.spec.flags ?? []), ...(this.spec.persistentFlags ?? []), this.helpFlag()];
  }

  inheritedFlags(): FlagDef[] {
    const out: FlagDef[] = [];
    for (let p = this.parent; p; p = p.parent) out.push(...(p.spec.persistentFlags ?? []));
    return out;
  }

  allFlags(): FlagDef[] {
    return [...(this.spec.flags ?? []), ...(this.spec.persistentFlags ?? []), ...this.inheritedFlags()];
  }

  find(name: string): Command | undefined {
    return this.children.find((c) => c.name === name || (c.spec.aliases ?? []).includes(name));
  }

  private visibleChildren(): Command[] {
    return this.children.filter((c) => !c.spec.hidden).sort((a, b) => (a.name < b.name ? -1 : 1));
  }

  useLine(): string {
    const base = this.parent ? `${this.parent.path()} ${this.spec.use}` : this.spec.use;
    return base.includes('[flags]') ? base : `${base} [flags]`;
  }

  /** cobra's usage template */
  usage(): string {
    let s = 'Usage:';
    const runnable = !!this.spec.run;
    const subs = this.visibleChildren();
    if (runnable) s += `\n  ${this.useLine()}`;
    if (subs.length) s += `\n  ${this.path()} [command]`;
    if (this.spec.aliases?.length) s += `\n\nAliases:\n  ${[this.name, ...this.spec.aliases].join(', ')}`;
    if (this.spec.example) s += `\n\nExamples:\n${this.spec.example}`;
    if (subs.length) {
      const pad = Math.max(11, ...this.children.map((c) => c.name.length));
      s += '\n\nAvailable Commands:';
      for (const c of subs) s += `\n  ${c.name.padEnd(pad)} ${c.spec.short}`;
    }
    s += `\n\nFlags:\n${trimTrailing(flagUsages(this.localFlags()))}`;
    const inh = this.inheritedFlags();
    if (inh.length) s += `\n\nGlobal Flags:\n${trimTrailing(flagUsages(inh))}`;
    if (subs.length) s += `\n\nUse "${this.path()} [command] --help" for more information about a command.`;
    return s + '\n';
  }

  /** cobra's help template */
  help(): string {
    const head = (this.spec.long ?? this.spec.short).replace(/\s+$/, '');
    return (head ? `${head}\n\n` : '') + this.usage();
  }

  /** Finds the command for argv and runs it; returns the exit code. */
  async execute(argv: string[]): Promise<number> {
    let cmd: Command = this;
    const rest: string[] = [];
    let walking = true;
    for (let i = 0; i < argv.length; i++) {
      const a = argv[i];
      if (a === '--') {
        rest.push(...argv.slice(i));
        break;
      }
      if (a.startsWith('-') && a.length > 1) {
        rest.push(a);
        // a flag that takes a value consumes the next word
        if (!a.includes('=') && takesValue(cmd.allFlags(), a) && i + 1 < argv.length) rest.push(argv[++i]);
        continue;
      }
      const sub = walking ? cmd.find(a) : undefined;
      if (sub) {
        cmd = sub;
        continue;
      }
      walking = false;
      rest.push(a);
    }
    let parsed;
    try {
      parsed = parseFlags(rest, cmd.allFlags());
    } catch (e) {
      if (e instanceof FlagError) {
        io.err(`Error: ${e.message}\n${cmd.usage()}\n`);
        return 1;
      }
      throw e;
    }
    if (parsed.help) {
      io.out(cmd.help());
      return 0;
    }
    if (!cmd.spec.run || (!cmd.parent && parsed.args.length)) {
      if (parsed.args.length && cmd.children.length && !cmd.parent) {
        io.err(`Error: unknown command "${parsed.args[0]}" for "${cmd.path()}"\nRun '${cmd.path()} --help' for usage.\n`);
        return 1;
      }
      // group commands print their help and exit 1
      io.out(cmd.help());
      return 1;
    }
    const { min, max } = cmd.spec.args ?? {};
    if ((min !== undefined && parsed.args.length < min) || (max !== undefined && parsed.args.length > max)) {
      io.out(cmd.help());
      return 1;
    }
    try {
      const code = await cmd.spec.run({ cmd, args: parsed.args, opts: parsed.values, changed: parsed.changed });
      return typeof code === 'number' ? code : 0;
    } catch (e) {
      if (e instanceof Exit) return e.code;
      throw e;
    }
  }
}

function takesValue(flags: FlagDef[], a: string): boolean {
  if (a.startsWith('--')) {
    const f = flags.find((x) => x.name === a.slice(2));
    return !!f && f.type !== 'bool' && f.noOptDefault === undefined;
  }
  if (a.length === 2) {
    const f = flags.find((x) => x.short === a[1]);
    return !!f && f.type !== 'bool' && f.noOptDefault === undefined;
  }
  return false;
}

function trimTrailing(s: string): string {
  return s.replace(/\s+$/, '');
}
