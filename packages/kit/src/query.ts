import { parse } from 'node:querystring';

/**
 * How Uplink's HTTP apps read query strings (given to Fastify as its parser), and how the logs
 * read them to find credentials, so both see the same keys: `+` and percent-encodings decoded,
 * a repeated key as an array. Node's parser, of which Fastify's default is a faster copy.
 */
export function parseQuery(query: string): Record<string, string | string[] | undefined> {
  return parse(query);
}
