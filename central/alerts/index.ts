// The alert engine's public face: main.ts and http.ts import from here only.
export { AlertsConfig } from './config.js';
export { Alert, AlertKind, AlertMessage, AlertNotification, AckRequest, PanicDetails, ResponseTime, Severity, ALERT_KINDS, EVENT_KINDS, SEVERITY } from './alert.js';
export { AlertEngine, AlertError, type AlertEngineOptions, type AlertEvents, type AlertSources } from './engine.js';
export { alertsPermission, alertsRoute, forwardAlertEvents, type AlertsHttpReply, type AlertsHttpRequest, type AlertsPermission } from './http.js';
