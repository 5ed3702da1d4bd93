/** The closed list of error codes: every code has a status and a description, and docs/protocol.md documents each. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ERROR_CODES, isErrorCode, type ErrorCode } from '../../protocol/errors.ts';
import { AppError } from '../../server/errors.ts';

const codes = Object.keys(ERROR_CODES) as ErrorCode[];

test('every error code has an HTTP error status and a description', () => {
  assert.ok(codes.length >= 20);
  for (const code of codes) {
    const e = ERROR_CODES[code];
    assert.match(code, /^[A-Z][A-Z0-9]*(_[A-Z0-9]+)*$/, `${code} is SCREAMING_SNAKE`);
    assert.ok(Number.isInteger(e.status) && e.status >= 400 && e.status <= 599, `${code} has an error status`);
    assert.equal(typeof e.description, 'string');
    assert.ok(e.description.trim().length >= 10, `${code} has a real description`);
    assert.equal(isErrorCode(code), true);
    assert.equal(new AppError(code, 'x').status, e.status);
  }
  assert.equal(isErrorCode('NOPE'), false);
  assert.equal(isErrorCode('toString'), false);
});

test('the statuses are the documented ones for the codes clients branch on', () => {
  const expected: Partial<Record<ErrorCode, number>> = {
    VALIDATION_FAILED: 400,
    MALFORMED_JSON: 400,
    UNAUTHENTICATED: 401,
    BAD_SIGNATURE: 401,
    STALE_REQUEST: 401,
    REPLAYED_REQUEST: 401,
    FORBIDDEN: 403,
    NOT_A_MEMBER: 403,
    EXECUTOR_NOT_APPROVED: 403,
    PROCESS_NOT_FOUND: 404,
    ALREADY_EXISTS: 409,
    PROCESS_NOT_RUNNING: 409,
    PAYLOAD_TOO_LARGE: 413,
    INTERNAL: 500,
    UNAVAILABLE: 503,
  };
  for (const [code, status] of Object.entries(expected)) assert.equal(ERROR_CODES[code as ErrorCode].status, status, code);
});

/**
 * The error table of docs/protocol.md: a Markdown table whose first column names each code (optionally in
 * backticks) and whose row also gives its HTTP status.
 */
test('docs/protocol.md documents every error code, with its status, and nothing that is not a code', () => {
  const readme = fileURLToPath(new URL('../../docs/protocol.md', import.meta.url));
  assert.ok(existsSync(readme), 'docs/protocol.md is missing: it must contain the table of error codes');
  const lines = readFileSync(readme, 'utf8').split('\n');

  // Split into table blocks (consecutive lines starting with "|"); keep those that list error codes.
  const blocks: string[][] = [];
  let current: string[] = [];
  for (const line of [...lines, '']) {
    if (line.trim().startsWith('|')) current.push(line.trim());
    else if (current.length > 0) {
      blocks.push(current);
      current = [];
    }
  }
  const firstCell = (row: string) => (row.split('|')[1] ?? '').trim().replace(/`/g, '');
  const errorBlocks = blocks.filter((b) => b.some((row) => isErrorCode(firstCell(row))));
  assert.ok(errorBlocks.length > 0, 'docs/protocol.md has no table whose first column lists error codes');

  const documented = new Map<string, string>();
  for (const row of errorBlocks.flat()) {
    const cell = firstCell(row);
    if (!/^[A-Z][A-Z0-9_]+$/.test(cell)) continue; // header and separator rows
    assert.ok(isErrorCode(cell), `docs/protocol.md's error table lists ${cell}, which is not an error code`);
    documented.set(cell, row);
  }
  const missing = codes.filter((c) => !documented.has(c));
  assert.deepEqual(missing, [], `docs/protocol.md's error table lacks: ${missing.join(', ')}`);
  for (const code of codes) {
    const cells = documented
      .get(code)!
      .split('|')
      .map((c) => c.trim());
    assert.ok(cells.includes(String(ERROR_CODES[code].status)), `docs/protocol.md gives ${code} the status ${ERROR_CODES[code].status}`);
  }
});
