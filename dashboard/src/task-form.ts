/**
 * The inputs of a user task's form, derived from its JSON Schema: a flat object of string, number,
 * integer, boolean and enum properties gets one input each; anything else (nesting, arrays,
 * combinators) is typed as JSON. Pure: no DOM, so it is tested without a browser. The server checks
 * the data against the form whatever the page sends.
 */

export type FieldKind = 'string' | 'number' | 'integer' | 'boolean' | 'enum';

export interface Field {
  name: string;
  kind: FieldKind;
  required: boolean;
  /** The schema's title, else the property's name. */
  label: string;
  description?: string;
  /** kind enum: the allowed values, as the schema lists them. */
  options?: (string | number | boolean | null)[];
}

type Schema = Record<string, unknown>;
const isObject = (v: unknown): v is Schema => v !== null && typeof v === 'object' && !Array.isArray(v);
const SCALAR_TYPES = new Set(['string', 'number', 'integer', 'boolean']);
// Keywords a flat form may use without needing the JSON fallback (they constrain, the server checks them).
const OBJECT_KEYWORDS = new Set(['type', 'properties', 'required', 'additionalProperties', 'title', 'description', '$schema', '$id']);

function fieldOf(name: string, p: unknown, required: boolean): Field | undefined {
  if (!isObject(p)) return undefined;
  const label = typeof p.title === 'string' ? p.title : name;
  const base = { name, required, label, ...(typeof p.description === 'string' ? { description: p.description } : {}) };
  if (Array.isArray(p.enum) && p.enum.length > 0 && p.enum.every((v) => v === null || ['string', 'number', 'boolean'].includes(typeof v)))
    return { ...base, kind: 'enum', options: p.enum as Field['options'] };
  if (typeof p.type === 'string' && SCALAR_TYPES.has(p.type)) return { ...base, kind: p.type as FieldKind };
  return undefined;
}

/** One field per property of a flat object form; undefined when the form needs the JSON fallback. No form: JSON. */
export function formFields(form: unknown): Field[] | undefined {
  if (!isObject(form) || form.type !== 'object' || !isObject(form.properties)) return undefined;
  if (Object.keys(form).some((k) => !OBJECT_KEYWORDS.has(k))) return undefined;
  const required = new Set(Array.isArray(form.required) ? form.required.filter((r): r is string => typeof r === 'string') : []);
  const fields: Field[] = [];
  for (const [name, p] of Object.entries(form.properties)) {
    const f = fieldOf(name, p, required.has(name));
    if (!f) return undefined;
    fields.push(f);
  }
  return fields;
}

/**
 * The data of filled-in fields: `raw` is each input's value (a checkbox's checked state). An empty
 * input is left out (a required one is then named by the server); a number that does not parse is
 * sent as typed, for the server to name.
 */
export function formData(fields: Field[], raw: Record<string, string | boolean>): Record<string, unknown> {
  const data: Record<string, unknown> = {};
  for (const f of fields) {
    const v = raw[f.name];
    if (f.kind === 'boolean') {
      data[f.name] = v === true;
      continue;
    }
    if (typeof v !== 'string' || v === '') continue;
    if (f.kind === 'enum') {
      // The select's value is the option's index: an enum may mix types.
      const i = Number(v);
      if (v !== '' && Number.isInteger(i) && f.options && i >= 0 && i < f.options.length) data[f.name] = f.options[i];
    } else if (f.kind === 'number' || f.kind === 'integer') {
      data[f.name] = v.trim() !== '' && Number.isFinite(Number(v)) ? Number(v) : v;
    } else data[f.name] = v;
  }
  return data;
}
