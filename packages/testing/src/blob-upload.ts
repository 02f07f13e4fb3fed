import type { UploadIntent } from '@uplink/contracts';

/**
 * What the upload page does with an intent, from Node: one Put Blob, or Put Block per block and
 * Put Block List. Tests and benchmarks use it to drive real uploads into Azurite.
 */
export async function uploadWithIntent(intent: UploadIntent, bytes: Uint8Array): Promise<void> {
  if (intent.blockBytes === null) {
    await put(intent.uploadUrl, bytes, intent.headers);
    return;
  }
  const ids: string[] = [];
  for (let offset = 0, index = 0; offset < bytes.length; offset += intent.blockBytes, index++) {
    const id = Buffer.from(`block-${String(index).padStart(6, '0')}`).toString('base64');
    ids.push(id);
    await put(
      `${intent.uploadUrl}&comp=block&blockid=${encodeURIComponent(id)}`,
      bytes.subarray(offset, offset + intent.blockBytes),
      {},
    );
  }
  const list = `<?xml version="1.0" encoding="utf-8"?><BlockList>${ids.map((id) => `<Latest>${id}</Latest>`).join('')}</BlockList>`;
  await put(`${intent.uploadUrl}&comp=blocklist`, new TextEncoder().encode(list), intent.headers);
}

export async function put(url: string, body: Uint8Array, headers: Record<string, string>): Promise<Response> {
  const response = await fetch(url, { method: 'PUT', body, headers });
  if (!response.ok)
    throw new Error(`PUT ${url.split('?')[0]} answered ${response.status}: ${await response.text()}`);
  return response;
}
