/** The dashboard's entry: sign-in, then a shell (header, navigation, live status) around hash-routed pages. */
import './style.css';
import { h, replace } from './dom.ts';
import { Api, signInMessage } from './api.ts';
import { createSigner } from './crypto.ts';
import { Live, type LiveStatus } from './live.ts';
import { clearSession, loadSession, saveSession, type Session } from './session.ts';
import { Names, parseHash, type Ctx, type Page } from './context.ts';
import { shortId } from './format.ts';
import { signInPage } from './pages/signin.ts';
import { overviewPage } from './pages/overview.ts';
import { workflowsPage } from './pages/workflows.ts';
import { workflowPage } from './pages/workflow.ts';
import { processesPage } from './pages/processes.ts';
import { processPage } from './pages/process.ts';
import { taskPage, tasksPage } from './pages/tasks.ts';

const root = document.getElementById('app')!;

async function signIn(s: Session): Promise<Ctx> {
  const signer = createSigner(s.prvkey);
  const api = new Api(signer, s.colonyname);
  let colony;
  try {
    colony = await api.colony();
  } catch (err) {
    throw new Error(signInMessage(err, s.colonyname));
  }
  const live = new Live(signer, s.colonyname, () => api.now());
  const names = new Names(api);
  void names.load();
  return { api, live, names, colony };
}

function showSignIn(colonyname?: string): void {
  document.title = 'Sign in · Colonies';
  replace(
    root,
    signInPage({
      ...(colonyname ? { colonyname } : {}),
      async onSignIn(prvkey, name) {
        const ctx = await signIn({ prvkey, colonyname: name });
        saveSession({ prvkey, colonyname: name });
        start(ctx);
      },
    }),
  );
}

function start(ctx: Ctx): void {
  const liveDot = h('span', { class: 'live-status', role: 'status' });
  const setLive = (st: LiveStatus) => {
    liveDot.className = `live-status live-${st}`;
    liveDot.textContent = st === 'live' ? 'live' : st === 'connecting' ? 'connecting…' : 'offline, retrying…';
  };
  ctx.live.onStatus = setLive;
  setLive(ctx.live.status);

  const navLink = (hash: string, label: string, section: string) => h('a', { href: hash, 'data-section': section }, label);
  const nav = h(
    'nav',
    { class: 'main-nav', 'aria-label': 'Main' },
    navLink('#/', 'Overview', 'overview'),
    navLink('#/workflows', 'Workflows', 'workflows'),
    navLink('#/processes', 'Processes', 'processes'),
    navLink('#/processes?state=FAILED', 'Failed', 'failed'),
    navLink('#/tasks', 'Tasks', 'tasks'),
  );
  const signOut = h('button', { class: 'btn btn-small btn-quiet', type: 'button' }, 'Sign out');
  signOut.addEventListener('click', () => {
    ctx.live.close();
    clearSession();
    window.removeEventListener('hashchange', route);
    current?.dispose?.();
    history.replaceState(null, '', '#/');
    showSignIn(ctx.api.colonyname);
  });
  const who = h('span', { class: 'who', title: `signed in as ${ctx.api.id}` });
  void ctx.names.load().then(() => (who.textContent = `${ctx.names.of(ctx.api.id)} · ${shortId(ctx.api.id)}`));
  const outlet = h('div', { class: 'outlet' });
  replace(
    root,
    h(
      'div',
      { class: 'shell' },
      h(
        'header',
        { class: 'topbar' },
        h('a', { class: 'brand', href: '#/' }, h('span', { class: 'logo', 'aria-hidden': 'true' }), 'Colonies'),
        h('span', { class: 'colony-name', title: 'colony' }, ctx.api.colonyname),
        nav,
        h('div', { class: 'topbar-right' }, liveDot, who, signOut),
      ),
      outlet,
    ),
  );

  let current: Page | undefined;
  function route(): void {
    const r = parseHash();
    current?.dispose?.();
    const [section, id] = r.path;
    let page: Page;
    if (section === 'workflows' && id) page = workflowPage(ctx, id, r.params);
    else if (section === 'workflows') page = workflowsPage(ctx, r.params);
    else if (section === 'processes' && id) page = processPage(ctx, id);
    else if (section === 'processes') page = processesPage(ctx, r.params);
    else if (section === 'tasks' && id) page = taskPage(ctx, id);
    else if (section === 'tasks') page = tasksPage(ctx, r.params);
    else page = overviewPage(ctx);
    current = page;
    const active = section === 'processes' && r.params.get('state') === 'FAILED' && !id ? 'failed' : (section ?? 'overview');
    for (const a of nav.querySelectorAll('a')) {
      const on = a.dataset.section === active;
      a.classList.toggle('current', on);
      if (on) a.setAttribute('aria-current', 'page');
      else a.removeAttribute('aria-current');
    }
    document.title = `${section ? section[0]!.toUpperCase() + section.slice(1) : 'Overview'} · ${ctx.api.colonyname} · Colonies`;
    replace(outlet, page.el);
  }
  window.addEventListener('hashchange', route);
  route();
}

async function boot(): Promise<void> {
  const s = loadSession();
  if (!s) return showSignIn();
  try {
    start(await signIn(s));
  } catch {
    clearSession();
    showSignIn(s.colonyname);
  }
}

void boot();
