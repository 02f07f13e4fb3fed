import type { Destinations } from '@uplink/tenants';
import type { DestinationFactory } from '../note-relay.ts';
import { FreshdeskDestination } from './freshdesk.ts';
import { TwilioFlexDestination } from './twilio-flex.ts';
import { WebhookDestination } from './webhook.ts';

/** The destination each ticket provider maps to, built from the tenant's opened configuration. */
export function destinationFactory(options: { fileLinkTtlMs: number }): DestinationFactory {
  return (provider, destinations: Destinations) => {
    switch (provider) {
      case 'freshdesk':
        return destinations.freshdesk
          ? new FreshdeskDestination(destinations.freshdesk, { linkTtlMs: options.fileLinkTtlMs })
          : undefined;
      case 'twilio-flex':
        return destinations.twilioFlex
          ? new TwilioFlexDestination(destinations.twilioFlex, { linkTtlMs: options.fileLinkTtlMs })
          : undefined;
      case 'webhook':
        return destinations.webhook
          ? new WebhookDestination(destinations.webhook, { linkTtlMs: options.fileLinkTtlMs })
          : undefined;
    }
  };
}
