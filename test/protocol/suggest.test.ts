/** "Did you mean …?": the known name a misspelt field most likely stands for. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { closestName, editDistance } from '../../protocol/suggest.ts';

const SPEC_FIELDS = [
  'nodename',
  'funcname',
  'args',
  'kwargs',
  'executortype',
  'priority',
  'maxwaittime',
  'maxexectime',
  'maxretries',
  'label',
  'conditions',
];

test('edit distance counts inserts, deletes, substitutions and swaps of neighbours', () => {
  assert.equal(editDistance('label', 'label'), 0);
  assert.equal(editDistance('lable', 'label'), 1, 'a swap is one edit');
  assert.equal(editDistance('maxretry', 'maxretries'), 3);
  assert.equal(editDistance('', 'args'), 4);
});

test('a misspelling, another case, a shortened name find the field; a stranger finds none', () => {
  const cases: [string, string | undefined][] = [
    ['maxretry', 'maxretries'],
    ['maxretires', 'maxretries'],
    ['Funcname', 'funcname'],
    ['EXECUTORTYPE', 'executortype'],
    ['func', 'funcname'],
    ['arg', 'args'],
    ['lable', 'label'],
    ['executor', 'executortype'],
    ['max', undefined], // begins several fields: no guess
    ['gpu', undefined],
    ['x', undefined],
    ['dependencies', undefined],
  ];
  assert.deepEqual(
    cases.map(([name]) => [name, closestName(name, SPEC_FIELDS)]),
    cases,
  );
});
