// Lexer for Go text/template syntax, written from the package documentation.

export const enum T {
  Error,
  EOF,
  Text,
  Comment,
  LeftDelim,
  RightDelim,
  Space,
  Identifier,
  Field,
  Variable,
  Dot,
  String,
  RawString,
  CharConstant,
  Number,
  Complex,
  Bool,
  Nil,
  Pipe,
  LeftParen,
  RightParen,
  Declare,
  Assign,
  Char,
  // keywords (must stay after Keyword)
  Keyword,
  Block,
  Break,
  Continue,
  Define,
  Else,
  End,
  If,
  Range,
  Template,
  With,
}

export interface Token {
  typ: T;
  /** start offset in the input */
  pos: number;
  /** end offset in the input (the token text is input.slice(pos, end)) */
  end: number;
  /** whitespace precedes this token inside an action */
  sp: boolean;
  /** error message for Error tokens, '' otherwise */
  msg: string;
}

/** 1-based line number of an offset. */
export function lineAt(input: string, pos: number): number {
  let line = 1;
  let i = input.indexOf('\n');
  while (i >= 0 && i < pos) {
    line++;
    i = input.indexOf('\n', i + 1);
  }
  return line;
}

const keywords = new Map<string, T>([
  ['block', T.Block],
  ['break', T.Break],
  ['continue', T.Continue],
  ['define', T.Define],
  ['else', T.Else],
  ['end', T.End],
  ['if', T.If],
  ['range', T.Range],
  ['nil', T.Nil],
  ['template', T.Template],
  ['with', T.With],
]);

const isSpace = (c: string | undefined): boolean => c === ' ' || c === '\t' || c === '\r' || c === '\n';
const isSpaceCode = (c: number): boolean => c === 32 || c === 9 || c === 13 || c === 10;

const alnumRe = /^[\p{L}\p{Nd}_]$/u;
function isAlphaNumeric(c: string | undefined): boolean {
  if (c === undefined) return false;
  const code = c.charCodeAt(0);
  if (code < 128) return isAlnumCode(code);
  return alnumRe.test(c);
}
function isAlnumCode(code: number): boolean {
  return (code >= 48 && code <= 57) || (code >= 65 && code <= 90) || (code >= 97 && code <= 122) || code === 95;
}

/** Go's %#U formatting of a rune, for error messages. */
export function fmtRune(c: string): string {
  const cp = c.codePointAt(0) ?? 0;
  const hex = cp.toString(16).toUpperCase().padStart(4, '0');
  return `U+${hex} '${c}'`;
}

/** Tokenize a whole template text. Stops at the first error (returned as an Error token). */
export function lex(input: string, left = '{{', right = '}}', emitComments = false, emitSpaces = false): Token[] {
  const out: Token[] = [];
  let pos = 0;
  let start = 0;
  let sp = false;
  let parenDepth = 0;
  const n = input.length;

  const r0 = right.charCodeAt(0);
  const emit = (typ: T): void => {
    out.push({ typ, pos: start, end: pos, sp, msg: '' });
    sp = false;
    start = pos;
  };
  const ignore = (): void => {
    start = pos;
  };
  const error = (msg: string): Token[] => {
    out.push({ typ: T.Error, pos: start, end: pos, sp, msg });
    return out;
  };
  const hasLeftTrimMarker = (p: number): boolean => input.charCodeAt(p) === 45 && isSpaceCode(input.charCodeAt(p + 1));
  const hasRightTrimMarker = (p: number): boolean => isSpaceCode(input.charCodeAt(p)) && input.charCodeAt(p + 1) === 45;
  /** returns 0: not at right delim, 1: at right delim, 2: at trim-marked right delim */
  const atRightDelim = (): number => {
    const c = input.charCodeAt(pos);
    if (c === r0 && input.startsWith(right, pos)) return 1;
    if (isSpaceCode(c) && input.charCodeAt(pos + 1) === 45 && input.startsWith(right, pos + 2)) return 2;
    return 0;
  };
  const atTerminator = (): boolean => {
    if (pos >= n) return true;
    const c = input.charCodeAt(pos);
    switch (c) {
      case 32:
      case 9:
      case 13:
      case 10:
      case 46: // .
      case 44: // ,
      case 124: // |
      case 58: // :
      case 41: // )
      case 40: // (
        return true;
    }
    return c === r0 && input.startsWith(right, pos);
  };
  const leftTrimLength = (p: number): number => {
    let q = p;
    while (q < n && isSpace(input[q])) q++;
    return q - p;
  };
  const nextRune = (): string | undefined => {
    if (pos >= n) {
      pos++;
      return undefined;
    }
    const c0 = input.charCodeAt(pos);
    if (c0 < 0xd800) {
      pos++;
      return input[pos - 1];
    }
    const cp = input.codePointAt(pos)!;
    const c = String.fromCodePoint(cp);
    pos += c.length;
    return c;
  };
  const peekRune = (): string | undefined => {
    if (pos >= n) return undefined;
    return String.fromCodePoint(input.codePointAt(pos)!);
  };

  const scanNumber = (): boolean => {
    const accept = (set: string): boolean => {
      if (pos < n && set.includes(input[pos]!)) {
        pos++;
        return true;
      }
      return false;
    };
    const acceptRun = (set: string): void => {
      while (pos < n && set.includes(input[pos]!)) pos++;
    };
    accept('+-');
    let digits = '0123456789_';
    if (accept('0')) {
      if (accept('xX')) digits = '0123456789abcdefABCDEF_';
      else if (accept('oO')) digits = '01234567_';
      else if (accept('bB')) digits = '01_';
    }
    acceptRun(digits);
    if (accept('.')) acceptRun(digits);
    if (digits.length === 11 && accept('eE')) {
      accept('+-');
      acceptRun('0123456789_');
    }
    if (digits.length === 23 && accept('pP')) {
      accept('+-');
      acceptRun('0123456789_');
    }
    accept('i');
    if (isAlphaNumeric(peekRune())) {
      nextRune();
      return false;
    }
    return true;
  };

  // main loop: alternate between text and actions
  for (;;) {
    // ---- lexText
    const x = input.indexOf(left, pos);
    if (x < 0) {
      pos = n;
      if (pos > start) emit(T.Text);
      start = pos;
      emit(T.EOF);
      return out;
    }
    pos = x;
    const trim = hasLeftTrimMarker(x + left.length);
    let textEnd = x;
    if (trim) while (textEnd > start && isSpace(input[textEnd - 1])) textEnd--;
    if (textEnd > start) {
      const save = pos;
      pos = textEnd;
      emit(T.Text);
      pos = save;
    }
    ignore();
    // ---- lexLeftDelim
    pos += left.length;
    const afterMarker = trim ? 2 : 0;
    if (input.startsWith('/*', pos + afterMarker)) {
      // ---- lexComment
      pos += afterMarker;
      ignore();
      pos += 2;
      const e = input.indexOf('*/', pos);
      if (e < 0) return error('unclosed comment');
      pos = e + 2;
      const d = atRightDelim();
      if (d === 0) return error('comment ends before closing delimiter');
      if (emitComments) emit(T.Comment);
      else ignore();
      if (d === 2) pos += 2;
      pos += right.length;
      if (d === 2) pos += leftTrimLength(pos);
      ignore();
      continue;
    }
    emit(T.LeftDelim);
    pos += afterMarker;
    ignore();
    parenDepth = 0;
    // ---- lexInsideAction
    for (;;) {
      const d = atRightDelim();
      if (d !== 0) {
        if (parenDepth !== 0) return error('unclosed left paren');
        if (d === 2) {
          pos += 2;
          ignore();
        }
        pos += right.length;
        emit(T.RightDelim);
        if (d === 2) {
          pos += leftTrimLength(pos);
          ignore();
        }
        break;
      }
      const c = nextRune();
      if (c === undefined) return error('unclosed action');
      if (isSpace(c)) {
        pos--;
        let numSpaces = 0;
        while (isSpaceCode(input.charCodeAt(pos))) {
          pos++;
          numSpaces++;
        }
        if (hasRightTrimMarker(pos - 1) && input.startsWith(right, pos - 1 + 2)) {
          pos--;
          if (numSpaces === 1) {
            start = pos;
            continue;
          }
        }
        if (emitSpaces) emit(T.Space);
        else {
          sp = true;
          start = pos;
        }
        continue;
      }
      switch (c) {
        case '=':
          emit(T.Assign);
          continue;
        case ':':
          if (nextRune() !== '=') return error('expected :=');
          emit(T.Declare);
          continue;
        case '|':
          emit(T.Pipe);
          continue;
        case '"': {
          for (;;) {
            const r = nextRune();
            if (r === '\\') {
              const r2 = nextRune();
              if (r2 !== undefined && r2 !== '\n') continue;
              return error('unterminated quoted string');
            }
            if (r === undefined || r === '\n') return error('unterminated quoted string');
            if (r === '"') break;
          }
          emit(T.String);
          continue;
        }
        case '`': {
          const e = input.indexOf('`', pos);
          if (e < 0) return error('unterminated raw quoted string');
          pos = e + 1;
          emit(T.RawString);
          continue;
        }
        case '$':
        case '.': {
          if (c === '.' && pos < n && input[pos]! >= '0' && input[pos]! <= '9') {
            pos--;
            if (!scanNumber()) return error(`bad number syntax: ${JSON.stringify(input.slice(start, pos))}`);
            emit(T.Number);
            continue;
          }
          const typ = c === '$' ? T.Variable : T.Field;
          if (atTerminator()) {
            emit(c === '$' ? T.Variable : T.Dot);
            continue;
          }
          let r: string | undefined;
          for (;;) {
            const cc = input.charCodeAt(pos);
            if (cc < 128) {
              if (isAlnumCode(cc)) {
                pos++;
                continue;
              }
              r = pos < n ? input[pos] : undefined;
              break;
            }
            r = peekRune();
            if (!isAlphaNumeric(r)) break;
            nextRune();
          }
          if (!atTerminator()) return error(`bad character ${fmtRune(r ?? '')}`);
          emit(typ);
          continue;
        }
        case "'": {
          for (;;) {
            const r = nextRune();
            if (r === '\\') {
              const r2 = nextRune();
              if (r2 !== undefined && r2 !== '\n') continue;
              return error('unterminated character constant');
            }
            if (r === undefined || r === '\n') return error('unterminated character constant');
            if (r === "'") break;
          }
          emit(T.CharConstant);
          continue;
        }
        case '(':
          emit(T.LeftParen);
          parenDepth++;
          continue;
        case ')':
          emit(T.RightParen);
          parenDepth--;
          if (parenDepth < 0) return error('unexpected right paren');
          continue;
      }
      if (c === '+' || c === '-' || (c >= '0' && c <= '9')) {
        pos--;
        if (!scanNumber()) return error(`bad number syntax: ${JSON.stringify(input.slice(start, pos))}`);
        const sign = input[pos];
        if (sign === '+' || sign === '-') {
          if (!scanNumber() || input[pos - 1] !== 'i') return error(`bad number syntax: ${JSON.stringify(input.slice(start, pos))}`);
          emit(T.Complex);
        } else emit(T.Number);
        continue;
      }
      if (isAlphaNumeric(c)) {
        for (;;) {
          const cc = input.charCodeAt(pos);
          if (cc < 128) {
            if (isAlnumCode(cc)) {
              pos++;
              continue;
            }
            break;
          }
          const r = peekRune();
          if (!isAlphaNumeric(r)) break;
          nextRune();
        }
        const word = input.slice(start, pos);
        if (!atTerminator()) return error(`bad character ${fmtRune(peekRune() ?? '')}`);
        const kw = keywords.get(word);
        if (kw !== undefined) emit(kw);
        else if (word === 'true' || word === 'false') emit(T.Bool);
        else emit(T.Identifier);
        continue;
      }
      const cp = c.codePointAt(0)!;
      if (cp < 0x7f && cp >= 0x20) {
        emit(T.Char);
        continue;
      }
      return error(`unrecognized character in action: ${fmtRune(c)}`);
    }
  }
}
