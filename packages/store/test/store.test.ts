import { mongoAdapter, sqliteAdapter } from './adapters.ts';
import { describeSessionStore } from './conformance.ts';

describeSessionStore(mongoAdapter.name, mongoAdapter.open, mongoAdapter.dispose);
describeSessionStore(sqliteAdapter.name, sqliteAdapter.open, sqliteAdapter.dispose);
