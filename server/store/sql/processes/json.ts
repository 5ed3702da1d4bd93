/** How process statements pass JSON in and read rows back out as JSON. */

export const jsonParam = (v: unknown) => JSON.stringify(v);

/**
 * Rows a statement returns as one JSON value (one value to parse instead of a row per process), each
 * row an array of its columns in this order: cheaper for the database to build than an object with keys.
 */
export const rowsAsArrays = <T>(columns: string) => {
  const names = columns.split(', ').map((col) => col.replace(/^\w+\./, ''));
  return {
    /** The row as a json array, its columns read from `from` ("c." or ""). */
    sql: (from: string) => `json_build_array(${names.map((col) => from + col).join(', ')})`,
    read: (rows: unknown[][]): T[] =>
      rows.map((a) => {
        const row: Record<string, unknown> = {};
        for (let i = 0; i < names.length; i++) row[names[i]!] = a[i];
        return row as T;
      }),
  };
};
