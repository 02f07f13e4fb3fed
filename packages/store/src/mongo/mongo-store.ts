import { preparedStore, type Store } from '../store.ts';
import { isMongoUnavailable, type Mongo, pingMongo } from './connection.ts';
import { MongoAgentSessionStore } from './mongo-agent-session-store.ts';
import { MongoAuditLog } from './mongo-audit-log.ts';
import { MongoFileShareStore } from './mongo-file-share-store.ts';
import { MongoLinkStore } from './mongo-link-store.ts';
import { MongoStreamTicketStore } from './mongo-stream-ticket-store.ts';
import { MongoTenantStore } from './mongo-tenant-store.ts';
import { MongoUploadStore } from './mongo-upload-store.ts';

export class MongoStore implements Store {
  readonly kind = 'mongodb';
  readonly location: string;
  readonly links: MongoLinkStore;
  readonly shares: MongoFileShareStore;
  readonly streamTickets: MongoStreamTicketStore;
  readonly agentSessions: MongoAgentSessionStore;
  readonly tenants: MongoTenantStore;
  readonly uploads: MongoUploadStore;
  readonly audit: MongoAuditLog;
  readonly mongo: Mongo;

  constructor(mongo: Mongo) {
    this.mongo = mongo;
    this.location = `mongodb database ${mongo.db.databaseName}`;
    this.audit = new MongoAuditLog(mongo.db);
    this.links = new MongoLinkStore(mongo.db, this.audit);
    this.shares = new MongoFileShareStore(mongo.db);
    this.streamTickets = new MongoStreamTicketStore(mongo.db);
    this.tenants = new MongoTenantStore(mongo.db);
    this.agentSessions = new MongoAgentSessionStore(mongo.db);
    this.uploads = new MongoUploadStore(mongo.db);
  }

  /** A store on `mongo` with its indexes in place. */
  static prepared(mongo: Mongo): Promise<MongoStore> {
    return preparedStore(new MongoStore(mongo));
  }

  async prepare(): Promise<void> {
    await this.links.ensureIndexes();
    await this.shares.ensureIndexes();
    await this.streamTickets.ensureIndexes();
    await this.tenants.ensureIndexes();
    await this.agentSessions.ensureIndexes();
    await this.uploads.ensureIndexes();
    await this.audit.ensureIndexes();
  }

  ping(): Promise<void> {
    return pingMongo(this.mongo.db);
  }

  /** The server unreachable or the connection lost, not a refused query. */
  isUnavailable(err: unknown): boolean {
    return isMongoUnavailable(err);
  }

  close(): Promise<void> {
    return this.mongo.client.close();
  }
}
