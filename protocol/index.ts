export * from './states.ts';
export * from './errors.ts';
export * from './signing.ts';
export * from './schemas.ts';
export * from './types.ts';
export * from './dag.ts';
