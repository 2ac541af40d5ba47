/// <reference lib="dom" />
import { ApiError } from '../api.js';
import type { ApiMe } from '../api-types.js';
import { h } from '../dom.js';
import { t } from '../i18n.js';
import { logIn } from '../session.js';
import { unlockSound } from '../sound.js';

/**
 * The login form. The address (hash) is left as it was, so after logging in the app
 * shows the page the user was on or asked for.
 */

export interface LoginOptions {
  /** Why the form is shown, when it is not simply the start. */
  note?: string | undefined;
  /** Offered when the central lets anyone view (kiosk): back to viewing without login. */
  cancel?: (() => void) | undefined;
  loggedIn(user: ApiMe): void;
}

/** Kept across re-renders (a language switch), never stored anywhere. */
const typed = { username: '', password: '' };
let error: string | undefined;
let pending = false;

function message(err: unknown): string {
  if (!(err instanceof ApiError)) return t('login.failed', { error: String(err) });
  if (err.status === 401) return t('login.wrong');
  if (err.status === 429) return t('login.throttled', { min: Math.max(1, Math.ceil((err.retryAfterS ?? 60) / 60)) });
  if (err.status === 403) return t('login.disabled');
  if (err.status === 0) return t('conn.fetchFailed');
  return t('login.failed', { error: err.message });
}

export function renderLogin(root: HTMLElement, options: LoginOptions): void {
  const username = h('input', { id: 'login-username', name: 'username', autocomplete: 'username', required: true, autocapitalize: 'none', spellcheck: 'false', value: typed.username });
  const password = h('input', { id: 'login-password', name: 'password', type: 'password', autocomplete: 'current-password', required: true, value: typed.password });
  username.addEventListener('input', () => (typed.username = username.value));
  password.addEventListener('input', () => (typed.password = password.value));
  const errorBox = h('p', { class: 'form-error login-error', role: 'alert' }, error ?? '');
  errorBox.hidden = error === undefined;
  const submit = h('button', { class: 'btn btn-primary', type: 'submit', disabled: pending }, pending ? t('login.busy') : t('login.submit'));

  const form = h(
    'form',
    {
      class: 'login-form',
      novalidate: true,
      onsubmit: (e: Event) => {
        e.preventDefault();
        if (pending) return;
        // The click or Enter that submits is the user gesture browsers want before audio may play.
        unlockSound();
        if (!username.value.trim() || !password.value) {
          error = t('login.missing');
          renderLogin(root, options);
          return;
        }
        pending = true;
        error = undefined;
        renderLogin(root, options);
        logIn(username.value.trim(), password.value).then(
          (user) => {
            pending = false;
            typed.password = '';
            options.loggedIn(user);
          },
          (err: unknown) => {
            pending = false;
            typed.password = '';
            error = message(err);
            renderLogin(root, options);
            document.getElementById('login-password')?.focus();
          },
        );
      },
    },
    h('h1', {}, t('login.title')),
    options.note ? h('p', { class: 'login-note' }, options.note) : null,
    h('label', { for: 'login-username' }, t('login.username')),
    username,
    h('label', { for: 'login-password' }, t('login.password')),
    password,
    errorBox,
    h('div', { class: 'form-actions' }, submit, options.cancel ? h('button', { class: 'btn', type: 'button', onclick: options.cancel }, t('login.cancel')) : null),
    h('p', { class: 'hint' }, t('login.hint')),
  );
  root.replaceChildren(h('section', { class: 'login' }, form));
  if (!pending) (typed.username ? password : username).focus();
}

/** A fresh form next time (after a logout): no old error, no old name. */
export function resetLogin(): void {
  typed.username = '';
  typed.password = '';
  error = undefined;
  pending = false;
}
