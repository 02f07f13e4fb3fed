// note-relay's own metric: what became of each attempt to post a file to its ticket.
import { serviceInstruments } from '@uplink/kit';

/** Counter: destination (freshdesk | twilio-flex | webhook), outcome (posted | retry | failed). */
export const DELIVERIES_METRIC = 'uplink.deliveries';

export type DeliveryMetricOutcome = 'posted' | 'retry' | 'failed';

const deliveryMetrics = serviceInstruments('@uplink/note-relay', (meter) => ({
  deliveries: meter.createCounter(DELIVERIES_METRIC, {
    description: 'Attempts to post a received file to its ticket, by destination and outcome.',
    unit: '{delivery}',
  }),
}));

export function recordDelivery(destination: string, outcome: DeliveryMetricOutcome): void {
  deliveryMetrics().deliveries.add(1, { destination, outcome });
}
