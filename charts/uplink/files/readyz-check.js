// The `helm test` check: every URL in READYZ_URLS (space-separated) must answer 200 before
// READYZ_TIMEOUT_MS runs out; it retries every 2 s and exits 1 naming the ones that never did.
(async () => {
  const urls = (process.env.READYZ_URLS ?? '').split(' ').filter(Boolean);
  const deadline = Date.now() + Number(process.env.READYZ_TIMEOUT_MS ?? 60000);
  const problem = async (url) => {
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(5000) });
      await response.arrayBuffer();
      return response.status === 200 ? undefined : `HTTP ${response.status}`;
    } catch (error) {
      return error.cause?.code ?? error.message;
    }
  };
  let failing = urls;
  for (;;) {
    const results = await Promise.all(failing.map(async (url) => [url, await problem(url)]));
    const still = results.filter(([, reason]) => reason !== undefined);
    for (const [url] of results.filter(([, reason]) => reason === undefined)) console.log(`ready: ${url}`);
    failing = still.map(([url]) => url);
    if (failing.length === 0) process.exit(0);
    if (Date.now() >= deadline) {
      for (const [url, reason] of still) console.error(`not ready: ${url} (${reason})`);
      process.exit(1);
    }
    await new Promise((resolve) => setTimeout(resolve, 2000));
  }
})();
