import { mongoAdapter, sqliteAdapter } from './adapters.ts';
import { describeStore } from './conformance.ts';

describeStore(mongoAdapter);
describeStore(sqliteAdapter);
