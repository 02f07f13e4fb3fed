// What tests share, whatever they test: real servers, captured logs and telemetry, raw HTTP,
// uploads through a SAS, sample files. The service harnesses are the package's subpaths
// (`@uplink/testing/link-service`, `/upload-gateway`, `/note-relay`).
export * from './blob-upload.ts';
export * from './embedded-env.ts';
export * from './files.ts';
export * from './infra.ts';
export * from './telemetry.ts';
