// The logged-in user's token and name, kept in sessionStorage (gone when the tab closes).

const KEY = 'defdrive.session';

export function load() {
  try {
    const session = JSON.parse(sessionStorage.getItem(KEY) || 'null');
    return session && typeof session.token === 'string' ? session : null;
  } catch {
    return null;
  }
}

export function save(token, user) {
  sessionStorage.setItem(KEY, JSON.stringify({ token, user }));
}

export function clear() {
  sessionStorage.removeItem(KEY);
}

/** Whether the token's own expiry (its `exp` claim) has passed; the server has the last word. */
export function expired(session) {
  try {
    const part = session.token.split('.')[1].replace(/-/g, '+').replace(/_/g, '/');
    const claims = JSON.parse(atob(part));
    return typeof claims.exp === 'number' && claims.exp * 1000 <= Date.now();
  } catch {
    return true;
  }
}
