import type { EgressClient } from '@uplink/egress';
import type { Destinations } from '@uplink/tenants';
import type { DestinationFactory } from '../note-relay.ts';
import { type Destination, RefusedDestination } from './destination.ts';
import { FreshdeskDestination } from './freshdesk.ts';
import { TwilioFlexDestination } from './twilio-flex.ts';
import { WebhookDestination } from './webhook.ts';

/**
 * The destination each ticket provider maps to, built from the tenant's opened configuration.
 * Every one calls out through `egress`; one the store refused (an address the rules no longer
 * allow, a secret not sealed for it) is never called and fails with the store's reason.
 */
export function destinationFactory(options: {
  fileLinkTtlMs: number;
  egress: EgressClient;
}): DestinationFactory {
  const { egress } = options;
  const linkTtlMs = options.fileLinkTtlMs;
  const build = <C extends object>(
    config: C | { refused: string } | undefined,
    make: (config: C) => Destination,
  ): Destination | undefined => {
    if (config === undefined) return undefined;
    return 'refused' in config ? new RefusedDestination(config.refused) : make(config);
  };
  return (provider, destinations: Destinations) => {
    switch (provider) {
      case 'freshdesk':
        return build(destinations.freshdesk, (c) => new FreshdeskDestination(c, { linkTtlMs, egress }));
      case 'twilio-flex':
        return build(destinations.twilioFlex, (c) => new TwilioFlexDestination(c, { linkTtlMs, egress }));
      case 'webhook':
        return build(destinations.webhook, (c) => new WebhookDestination(c, { linkTtlMs, egress }));
    }
  };
}
