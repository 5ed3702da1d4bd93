/**
 * How each state looks. Colours from the Okabe–Ito palette (distinguishable with the common colour
 * vision deficiencies); every state also has its own glyph and name, so colour is never the only cue.
 * `ink` is a darker shade for text on the light `tint` (WCAG AA contrast).
 */
import { PROCESS_STATES, type ProcessState } from '../../protocol/states.ts';

export { PROCESS_STATES };
export type { ProcessState };

export interface StateStyle {
  label: string;
  /** Plural noun for lists ("Failed"). */
  title: string;
  glyph: string;
  color: string;
  ink: string;
  tint: string;
}

export const STATE_STYLE: Record<ProcessState, StateStyle> = {
  WAITING: { label: 'waiting', title: 'Waiting', glyph: '◷', color: '#8a8a8a', ink: '#4a4a4a', tint: '#f1f1f1' },
  RUNNING: { label: 'running', title: 'Running', glyph: '▶', color: '#0072b2', ink: '#00507d', tint: '#e3f0f8' },
  SUCCESS: { label: 'successful', title: 'Successful', glyph: '✓', color: '#009e73', ink: '#006b4e', tint: '#e1f4ee' },
  FAILED: { label: 'failed', title: 'Failed', glyph: '✕', color: '#d55e00', ink: '#9a3f00', tint: '#fbeadf' },
  CANCELLED: { label: 'cancelled', title: 'Cancelled', glyph: '⊘', color: '#cc79a7', ink: '#8a3d68', tint: '#f8ebf2' },
  SKIPPED: { label: 'skipped', title: 'Skipped', glyph: '↷', color: '#b0b0b0', ink: '#5f5f5f', tint: '#f6f6f6' },
  HALTED: { label: 'halted', title: 'Halted', glyph: '‖', color: '#e69f00', ink: '#8a5f00', tint: '#fdf3de' },
};

/** Order in which states are listed: what needs attention first. */
export const STATE_ORDER: readonly ProcessState[] = ['RUNNING', 'HALTED', 'WAITING', 'FAILED', 'SUCCESS', 'SKIPPED', 'CANCELLED'];

export function isState(s: string | null | undefined): s is ProcessState {
  return !!s && (PROCESS_STATES as readonly string[]).includes(s);
}
