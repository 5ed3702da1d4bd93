/**
 * Process SQL, one module per statement family under processes/. Every state change is set-based with
 * row locks; batch forms take a JSON array so that one statement serves one process or ten thousand
 * (the batchers and fan-outs rely on it).
 */
import { claimSql } from './processes/claim.ts';
import { closeSql } from './processes/close.ts';
import { readSql, writeSql } from './processes/crud.ts';
import { expireSql } from './processes/expire.ts';
import { insertSql } from './processes/insert.ts';

export { observeClaims, type ClaimObserver } from './processes/claim.ts';
export { toCounts } from './processes/crud.ts';
export { deadlineAt, deadlineSql } from './processes/deadline.ts';
export * from './processes/types.ts';

export const processesSql = { ...insertSql, ...readSql, ...writeSql, ...claimSql, ...closeSql, ...expireSql };
