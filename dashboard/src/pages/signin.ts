/** Sign-in: a private key, pasted or loaded from a file, and the colony. Nothing leaves the page. */
import { h, replace } from '../dom.ts';
import { isPrivateKey } from '../crypto.ts';
import { parseKeyText } from '../session.ts';

export interface SignInOptions {
  colonyname?: string;
  /** Resolves when signed in; rejects with the sentence to show. */
  onSignIn(prvkey: string, colonyname: string): Promise<void>;
}

export function signInPage(o: SignInOptions): HTMLElement {
  const error = h('div', { class: 'signin-error', role: 'alert', 'aria-live': 'assertive' });
  const colony = h('input', {
    id: 'colony',
    name: 'colony',
    required: true,
    autocomplete: 'off',
    spellcheck: 'false',
    placeholder: 'dev',
    value: o.colonyname ?? '',
  });
  const key = h('input', {
    id: 'prvkey',
    name: 'prvkey',
    type: 'password',
    required: true,
    autocomplete: 'off',
    spellcheck: 'false',
    class: 'mono',
    placeholder: '64 hexadecimal characters',
    'aria-describedby': 'prvkey-help',
  });
  const file = h('input', { id: 'keyfile', type: 'file', class: 'visually-hidden', accept: '.env,.json,.txt,.key,text/plain,application/json' });
  const fileNote = h('span', { class: 'muted file-note' });
  const submit = h('button', { type: 'submit', class: 'btn btn-primary' }, 'Sign in');

  const fillFrom = (text: string, source: string) => {
    const parsed = parseKeyText(text);
    if (parsed.prvkey) key.value = parsed.prvkey;
    if (parsed.colonyname && !colony.value) colony.value = parsed.colonyname;
    fileNote.textContent = parsed.prvkey ? `Key read from ${source}.` : `No private key found in ${source}.`;
  };
  file.addEventListener('change', () => {
    const f = file.files?.[0];
    if (!f) return;
    void f.text().then((t) => fillFrom(t, f.name));
    file.value = '';
  });

  const form = h(
    'form',
    { class: 'signin-form', novalidate: true },
    h('label', { for: 'colony' }, 'Colony'),
    colony,
    h('label', { for: 'prvkey' }, 'Private key'),
    h(
      'div',
      { class: 'key-row' },
      key,
      h(
        'label',
        {
          for: 'keyfile',
          class: 'btn',
          role: 'button',
          tabindex: 0,
          onkeydown: (ev: Event) => {
            const k = (ev as KeyboardEvent).key;
            if (k === 'Enter' || k === ' ') {
              ev.preventDefault();
              file.click();
            }
          },
        },
        'Load key file…',
      ),
      file,
    ),
    fileNote,
    h(
      'p',
      { id: 'prvkey-help', class: 'muted small' },
      'A user key of the colony (for `colonies dev`: COLONIES_PRVKEY in .colonies/dev.env — you can load that file). ',
      'The key stays in this browser tab: requests are signed here and the key is never sent to the server.',
    ),
    error,
    submit,
  );
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const parsed = parseKeyText(key.value);
    const prvkey = parsed.prvkey ?? key.value.trim().toLowerCase();
    const name = colony.value.trim();
    if (!name) return replace(error, 'Enter the colony name.');
    if (!isPrivateKey(prvkey)) return replace(error, 'That is not a private key: a key is 64 hexadecimal characters (0–9, a–f).');
    replace(error);
    submit.disabled = true;
    submit.textContent = 'Signing in…';
    o.onSignIn(prvkey, name).catch((err: unknown) => {
      replace(error, err instanceof Error ? err.message : String(err));
      submit.disabled = false;
      submit.textContent = 'Sign in';
      key.focus();
    });
  });
  return h(
    'main',
    { class: 'signin' },
    h(
      'section',
      { class: 'card signin-card' },
      h('h1', null, h('span', { class: 'logo', 'aria-hidden': 'true' }), 'Colonies'),
      h('p', { class: 'lead' }, 'Sign in to watch and manage the workflows of a colony.'),
      form,
    ),
  );
}
