import { mongoAdapter, sqliteAdapter } from './adapters.ts';
import { describeStore } from './conformance.ts';

describeStore(mongoAdapter.name, mongoAdapter.open, mongoAdapter.dispose);
describeStore(sqliteAdapter.name, sqliteAdapter.open, sqliteAdapter.dispose);
