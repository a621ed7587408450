// Progressive enhancement only: every page works without this file.
import { initAll } from '/assets/js/govuk-frontend.min.js';

initAll();

// Session timeout warning (WCAG 2.2.1): warn two minutes before the idle timeout and let the user extend.
const meta = document.querySelector('meta[name="tandem-session"]');
if (meta) {
  const warnBefore = 120_000;
  const dialog = document.getElementById('timeout-dialog');
  const remaining = document.getElementById('timeout-remaining');
  const extend = document.getElementById('timeout-extend');
  let idleExpires = Date.now() + Number(meta.dataset.idleRemainingMs);
  let warnTimer;
  let tick;
  const schedule = () => {
    clearTimeout(warnTimer);
    warnTimer = setTimeout(showWarning, Math.max(0, idleExpires - Date.now() - warnBefore));
  };
  const showWarning = () => {
    if (!dialog || typeof dialog.showModal !== 'function') return;
    dialog.showModal();
    const update = () => {
      const secs = Math.max(0, Math.round((idleExpires - Date.now()) / 1000));
      remaining.textContent = secs >= 60 ? `${Math.ceil(secs / 60)} minute${secs > 60 ? 's' : ''}` : `${secs} seconds`;
      if (secs <= 0) window.location.href = '/sign-in?timedOut=1';
    };
    update();
    tick = setInterval(update, 1000);
  };
  extend?.addEventListener('click', async (event) => {
    event.preventDefault();
    const form = extend.closest('form');
    const res = await fetch('/session/extend', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
      body: new URLSearchParams(new FormData(form)),
    });
    if (res.ok) {
      const body = await res.json();
      idleExpires = Date.now() + body.idleRemainingMs;
      clearInterval(tick);
      dialog.close();
      schedule();
    } else {
      window.location.href = '/sign-in?timedOut=1';
    }
  });
  schedule();
}
