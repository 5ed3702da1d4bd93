/**
 * JSON that people typed (spec files, --data, --args, --var): parsed by JSON.parse, and when that fails
 * scanned again to say where, as line and column, and what is wrong there in words (a trailing comma,
 * a quote missing), which JSON.parse's message does not always say.
 */

export interface JsonSyntaxError {
  line: number;
  column: number;
  message: string;
}

class Syntax extends Error {
  constructor(
    readonly offset: number,
    message: string,
  ) {
    super(message);
  }
}

const NUMBER = /-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/y;
const LITERALS = ['true', 'false', 'null'];

/** A character as a message shows it. */
const shown = (c: string) => (c === '\n' ? 'a line break' : c === "'" ? '"\'"' : `'${c}'`);

/** A recursive-descent check of RFC 8259 JSON that stops at the first error. */
class Scanner {
  i = 0;
  constructor(readonly s: string) {}

  fail(message: string, at = this.i): never {
    throw new Syntax(at, message);
  }
  ws(): void {
    while (this.i < this.s.length && ' \t\n\r'.includes(this.s[this.i]!)) this.i++;
  }
  peek(): string | undefined {
    return this.s[this.i];
  }
  document(): void {
    this.ws();
    if (this.i === this.s.length) this.fail('no JSON value (the input is empty)');
    this.value();
    this.ws();
    if (this.i < this.s.length) this.fail(`unexpected ${shown(this.s[this.i]!)} after the end of the JSON value`);
  }
  value(): void {
    const c = this.peek();
    if (c === undefined) this.fail('unexpected end of input: a value is missing');
    if (c === '{') return this.object();
    if (c === '[') return this.array();
    if (c === '"') return this.string();
    if (c === '-' || (c >= '0' && c <= '9')) return this.number();
    for (const word of LITERALS) {
      if (this.s.startsWith(word, this.i)) {
        this.i += word.length;
        return;
      }
    }
    if (c === "'") this.fail('strings are in double quotes, not single ones');
    if (c === '/') this.fail('JSON has no comments');
    if (/[A-Za-z_]/.test(c)) this.fail(`unexpected ${shown(c)}: strings are in double quotes (true, false and null are the only words)`);
    this.fail(`unexpected ${shown(c)}: expected a value`);
  }
  object(): void {
    this.i++;
    this.ws();
    if (this.peek() === '}') {
      this.i++;
      return;
    }
    for (;;) {
      const c = this.peek();
      if (c === undefined) this.fail("unexpected end of input: '}' is missing");
      if (c === '}') this.fail("a comma before '}': JSON allows no trailing comma", this.lastComma());
      if (c !== '"')
        this.fail(c === "'" || /[A-Za-z_$]/.test(c) ? 'property names are in double quotes' : `unexpected ${shown(c)}: expected a property name`);
      this.string();
      this.ws();
      if (this.peek() !== ':')
        this.fail(this.peek() === undefined ? "unexpected end of input: ':' is missing" : "expected ':' after the property name");
      this.i++;
      this.ws();
      this.value();
      this.ws();
      const next = this.peek();
      if (next === '}') {
        this.i++;
        return;
      }
      if (next !== ',')
        this.fail(next === undefined ? "unexpected end of input: '}' is missing" : `expected ',' or '}' after a property value, got ${shown(next)}`);
      this.i++;
      this.ws();
    }
  }
  array(): void {
    this.i++;
    this.ws();
    if (this.peek() === ']') {
      this.i++;
      return;
    }
    for (;;) {
      if (this.peek() === ']') this.fail("a comma before ']': JSON allows no trailing comma", this.lastComma());
      this.value();
      this.ws();
      const next = this.peek();
      if (next === ']') {
        this.i++;
        return;
      }
      if (next !== ',')
        this.fail(next === undefined ? "unexpected end of input: ']' is missing" : `expected ',' or ']' after an array element, got ${shown(next)}`);
      this.i++;
      this.ws();
    }
  }
  /** Where the comma before the current position is (a trailing comma is reported there). */
  lastComma(): number {
    return this.s.lastIndexOf(',', this.i);
  }
  string(): void {
    const start = this.i;
    this.i++;
    for (;;) {
      const c = this.peek();
      if (c === undefined) this.fail('a string is not closed: its closing quote is missing', start);
      if (c === '"') {
        this.i++;
        return;
      }
      if (c === '\n') this.fail('a string cannot span lines (write \\n), or its closing quote is missing');
      if (c < ' ') this.fail('a control character in a string (escape it, e.g. \\t)');
      if (c === '\\') {
        const e = this.s[this.i + 1];
        if (e === 'u') {
          if (!/^[0-9a-fA-F]{4}$/.test(this.s.slice(this.i + 2, this.i + 6))) this.fail('\\u is followed by 4 hex digits');
          this.i += 6;
          continue;
        }
        if (e === undefined || !'"\\/bfnrt'.includes(e)) this.fail(`invalid escape \\${e ?? ''} in a string`);
        this.i += 2;
        continue;
      }
      this.i++;
    }
  }
  number(): void {
    NUMBER.lastIndex = this.i;
    const m = NUMBER.exec(this.s);
    if (!m || m[0] === '-') this.fail('invalid number');
    const end = this.i + m[0].length;
    const after = this.s[end];
    if (m[1] === '0' && after !== undefined && after >= '0' && after <= '9') this.fail('numbers have no leading zeros', end);
    if (after === '.' || after === 'e' || after === 'E') this.fail('invalid number: digits are missing', end + 1);
    this.i = end;
  }
}

/** Line and column (from 1) of an offset. */
function position(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, offset);
  const line = before.split('\n').length;
  return { line, column: offset - (before.lastIndexOf('\n') + 1) + 1 };
}

/** Where and why `text` is not JSON; undefined when it is (or when the scanner cannot tell). */
export function jsonSyntaxError(text: string): JsonSyntaxError | undefined {
  try {
    new Scanner(text).document();
    return undefined;
  } catch (err) {
    // Anything but a Syntax (a stack overflow on absurd nesting) leaves the word to JSON.parse.
    return err instanceof Syntax ? { ...position(text, err.offset), message: err.message } : undefined;
  }
}

/** Parses JSON, or says where it is wrong: the result, or the error. A byte order mark (as some editors write) is skipped. */
export function parseJson(text: string): { value: unknown } | { error: JsonSyntaxError } {
  const body = text.startsWith('\uFEFF') ? text.slice(1) : text;
  try {
    return { value: JSON.parse(body) as unknown };
  } catch (err) {
    // Our scanner and JSON.parse agree on what JSON is; should they not, JSON.parse's word stands, at the end.
    return { error: jsonSyntaxError(body) ?? { ...position(body, body.length), message: (err as Error).message } };
  }
}
