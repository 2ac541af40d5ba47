// The module's public face: main.ts and http.ts import from here only.
export { Auth, type AuthDecision, type AuthOptions, type AuthResponse, type WhoAmI } from './auth.js';
export { AuthConfig } from './config.js';
export { parseCookies, SESSION_COOKIE, sessionCookie } from './cookies.js';
export { BodyTooLargeError, bearerTokenOf, readBody } from './request.js';
export { can, isRole, PERMISSIONS, ROLE_PERMISSIONS, roleNeedsOpd, ROLES, type Permission, type Principal, type Role } from './roles.js';
export { NewPassword, OpdCode, UserError, UserStore, Username, type ApiTokenRecord, type SessionRecord, type UserRecord, type UserSummary } from './store.js';
export { USER_USAGE, userMain, type UserCliIo } from './cli.js';
