/** The dashboard's value formatting (dashboard/src/format.ts): pure, no browser. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { maxRetries } from '../../dashboard/src/format.ts';

test('maxretries -1 is shown as unlimited, others as the number', () => {
  assert.equal(maxRetries(-1), 'unlimited');
  assert.equal(maxRetries(0), '0');
  assert.equal(maxRetries(3), '3');
});
