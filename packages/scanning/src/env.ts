import { Type } from 'typebox';

/** Where the malware scanner is; without it files are accepted unscanned. */
export const ClamavEnv = {
  CLAMAV_URL: Type.Optional(
    Type.String({
      pattern: '^(tcp://[^/]+:[0-9]+/?|unix:///.+)$',
      description:
        "clamd to scan every received file with before it is accepted (`tcp://host:port` or `unix:///path/to/clamd.sock`); unset, files are not scanned. Tenants may turn scanning off (the media policy's `scanFiles`). clamd's `StreamMaxLength`, `MaxFileSize` and `MaxScanSize` must be at least the largest upload a tenant allows: a larger file is refused, unscanned.",
    }),
  ),
} as const;
