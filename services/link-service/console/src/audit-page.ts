// The audit log page, for admins: the tenant's entries from GET /v1/audit (newest first, filtered
// by action and link, a page at a time) and a button that checks the chain (GET /v1/audit/verify).
// Built with DOM calls and textContent only, so no text (a file name, a user agent) becomes markup.
import type { AuditAction, AuditEntryView, AuditQuery } from '@uplink/contracts';
import { auditActorText, formatTime } from '@uplink/links-panel';
import { fill } from '@uplink/web/text';
import type { ConsoleConfig } from '../../src/console/config.ts';
import type { Api } from './api.ts';
import { byId, cell, type PageHooks } from './dom.ts';

type Messages = ConsoleConfig['messages'];

const PAGE = 50;

function detailsText(details: AuditEntryView['details']): string {
  return Object.entries(details)
    .map(([name, value]) => `${name}: ${Array.isArray(value) ? value.join(', ') : String(value)}`)
    .join('; ');
}

export class AuditPage {
  private readonly m: Messages;
  private readonly hooks: PageHooks;
  private api: Api | undefined;
  /** The filters of the list shown, and where its next page starts. */
  private query: AuditQuery = {};
  private nextCursor: string | undefined;
  private readonly el = {
    form: byId<HTMLFormElement>('audit-form'),
    action: byId<HTMLSelectElement>('audit-action'),
    link: byId<HTMLInputElement>('audit-link'),
    verify: byId<HTMLButtonElement>('audit-verify'),
    verification: byId<HTMLElement>('audit-verification'),
    list: byId<HTMLTableSectionElement>('audit-list'),
    empty: byId<HTMLElement>('audit-empty'),
    older: byId<HTMLButtonElement>('audit-older'),
  };

  constructor(m: Messages, hooks: PageHooks) {
    this.m = m;
    this.hooks = hooks;
    this.el.form.addEventListener('submit', (event) => {
      event.preventDefault();
      void this.guarded(() => this.show(this.filters()));
    });
    this.el.older.addEventListener('click', () => void this.guarded(() => this.more()));
    this.el.verify.addEventListener('click', () => void this.guarded(() => this.verify()));
  }

  /** Shows the newest entries with `api`; rejects when they cannot be read (403 for non-admins). */
  async open(api: Api): Promise<void> {
    this.api = api;
    this.el.form.reset();
    this.el.verification.textContent = '';
    await this.show({});
  }

  private filters(): AuditQuery {
    const action = this.el.action.value as AuditAction | '';
    const linkId = this.el.link.value.trim();
    return { ...(action ? { action } : {}), ...(linkId ? { linkId } : {}) };
  }

  private async show(query: AuditQuery): Promise<void> {
    if (!this.api) return;
    const page = await this.api.audit({ ...query, limit: PAGE });
    this.query = query;
    this.el.list.replaceChildren(...page.entries.map((entry) => this.row(entry)));
    this.el.empty.textContent = this.m.auditEmpty;
    this.el.empty.hidden = page.entries.length > 0;
    this.setNext(page.nextCursor);
  }

  private async more(): Promise<void> {
    if (!this.api || !this.nextCursor) return;
    const page = await this.api.audit({ ...this.query, limit: PAGE, cursor: this.nextCursor });
    this.el.list.append(...page.entries.map((entry) => this.row(entry)));
    this.setNext(page.nextCursor);
  }

  private setNext(cursor: string | undefined): void {
    this.nextCursor = cursor;
    this.el.older.hidden = cursor === undefined;
  }

  private async verify(): Promise<void> {
    if (!this.api) return;
    const result = await this.api.verifyAudit();
    this.el.verification.textContent = result.firstBroken
      ? fill(this.m.auditBroken, { seq: String(result.firstBroken.seq), reason: result.firstBroken.reason })
      : fill(this.m.auditVerified, { checked: String(result.checked), from: String(result.from) });
  }

  private row(entry: AuditEntryView): HTMLTableRowElement {
    const tr = document.createElement('tr');
    tr.append(
      cell(formatTime(entry.at), entry.at),
      cell(this.m.auditActions[entry.action]),
      cell(auditActorText(entry.actor, this.m)),
      cell(entry.linkId ?? ''),
      cell(detailsText(entry.details)),
    );
    return tr;
  }

  private async guarded(work: () => Promise<void>): Promise<void> {
    try {
      await work();
    } catch (error) {
      if (!this.hooks.unauthorized(error)) this.hooks.announce(this.hooks.errorText(error));
    }
  }
}
