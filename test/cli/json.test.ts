/** JSON people typed: where it is wrong (line and column) and what is wrong there, in words. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { jsonSyntaxError, parseJson } from '../../cli/json.ts';

test('valid JSON parses as JSON.parse parses it; a byte order mark is skipped', () => {
  for (const text of ['[]', ' {"a": [1, -2.5e3, "x\\n\\u00e9", true, false, null]} ', '"s"', '0']) {
    assert.deepEqual(parseJson(text), { value: JSON.parse(text) as unknown });
    assert.equal(jsonSyntaxError(text), undefined, text);
  }
  assert.deepEqual(parseJson('\uFEFF{"a": 1}'), { value: { a: 1 } });
});

test('each mistake is found where it is, and said in words', () => {
  const cases: [string, number, number, string][] = [
    ['', 1, 1, 'no JSON value (the input is empty)'],
    ['[1, 2,]', 1, 6, "a comma before ']': JSON allows no trailing comma"],
    ['{\n  "a": 1,\n}', 2, 9, "a comma before '}': JSON allows no trailing comma"],
    ['{\n  "a": 1\n  "b": 2\n}', 3, 3, `expected ',' or '}' after a property value, got '"'`],
    ["{'a': 1}", 1, 2, 'property names are in double quotes'],
    ['{a: 1}', 1, 2, 'property names are in double quotes'],
    ['["a", \'b\']', 1, 7, 'strings are in double quotes, not single ones'],
    ['[yes]', 1, 2, "unexpected 'y': strings are in double quotes (true, false and null are the only words)"],
    ['{"a" 1}', 1, 6, "expected ':' after the property name"],
    ['[1, 2', 1, 6, "unexpected end of input: ']' is missing"],
    ['{"a": "b', 1, 7, 'a string is not closed: its closing quote is missing'],
    ['["a\nb"]', 1, 4, 'a string cannot span lines (write \\n), or its closing quote is missing'],
    ['["\\q"]', 1, 3, 'invalid escape \\q in a string'],
    ['[01]', 1, 3, 'numbers have no leading zeros'],
    ['[1.]', 1, 4, 'invalid number: digits are missing'],
    ['[1] [2]', 1, 5, "unexpected '[' after the end of the JSON value"],
    ['// a comment\n[]', 1, 1, 'JSON has no comments'],
  ];
  for (const [text, line, column, message] of cases) {
    assert.throws(() => JSON.parse(text), SyntaxError, `JSON.parse refuses ${JSON.stringify(text)} too`);
    assert.deepEqual(parseJson(text), { error: { line, column, message } }, JSON.stringify(text));
  }
});
