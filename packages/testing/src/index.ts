// What tests share, whatever they test: the adapters a test file runs on (closed by themselves),
// captured logs and telemetry, raw HTTP, uploads through a SAS, sample files. The service
// harnesses are the package's subpaths (`@uplink/testing/link-service`, `/upload-gateway`,
// `/note-relay`).
export * from './auto-close.ts';
export * from './blob-upload.ts';
export * from './command-output.ts';
export * from './crash-flows.ts';
export * from './embedded-env.ts';
export * from './files.ts';
export * from './infra.ts';
export * from './service-under-test.ts';
export * from './telemetry.ts';
export * from './tls-front.ts';
