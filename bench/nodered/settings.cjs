// Node-RED settings for the benchmark's peer flow (bench/nodered/flows.json).
// No editor, no HTTP server, no telemetry or update checks, nothing installed at run
// time. The function node gets node:crypto to key punches the way the central does.
module.exports = {
  flowFile: 'flows.json',
  credentialSecret: false,
  httpAdminRoot: false,
  httpNodeRoot: false,
  disableEditor: true,
  uiHost: '127.0.0.1',
  logging: { console: { level: 'info', metrics: false, audit: false } },
  functionGlobalContext: { crypto: require('node:crypto') },
  functionExternalModules: false,
  telemetry: { enabled: false },
  diagnostics: { enabled: false, ui: false },
  runtimeState: { enabled: false, ui: false },
  externalModules: { autoInstall: false, palette: { allowInstall: false }, modules: { allowInstall: false } },
  editorTheme: { projects: { enabled: false } },
};
