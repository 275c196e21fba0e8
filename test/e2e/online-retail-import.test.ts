import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MemberProfile } from '../../engine/contracts/schemas.js';
import type { LedgerEntry } from '../../engine/members/member-store.js';
import { TokenService } from '../../gateway/auth.js';
import { checkOnlineRetailPointsRemote, type Rules } from '../../scripts/check-online-retail-points.js';
import { convertOnlineRetail } from '../../scripts/convert-online-retail.js';
import type { ImportSummary } from '../../scripts/import.js';
import type { ImportKind } from '../../scripts/lib/import-lines.js';
import { http } from '../helpers/clients.js';
import { importConverted } from '../helpers/retail-import.js';
import { spawnPulse, type PulseProcess } from '../helpers/pulse-process.js';
import { startNats, startRedis, type TestServer } from '../helpers/servers.js';

const HEADER = 'InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country';
/**
 * Expected (rates 1 / 1.5 / 2, VIP at 100 lifetime points), worked out in
 * test/unit/check-online-retail-points.test.ts: c17850 buys four orders (VIP at the second) and
 * takes back units of them in four cancellations, matched to the newest orders holding them (one
 * that would repeat an earlier return of the same order is left out): 30 points, 9 order statuses.
 * c13047: 8 and its return -> 0. c12345: only a cancellation, nothing to take back. c15000: 25.
 * Line prices are a wholesale history's, far from the catalog's median (71053: 50 vs 8.75), hence
 * ORDER_PRICE_TOLERANCE=10 for the import.
 */
const ROWS = [
  '536365,85123A,WHITE HANGING HEART T-LIGHT HOLDER,2,12/1/2010 8:26,30.25,17850,United Kingdom',
  '536365,22041,RECORD FRAME SINGLE SIZE,4,12/1/2010 8:26,2.5,17850,United Kingdom',
  '536366,85123A,WHITE HANGING HEART T-LIGHT HOLDER,1,12/1/2010 9:00,30.25,17850,United Kingdom',
  '536367,71053,WHITE METAL LANTERN,1,12/2/2010 9:00,50,17850,United Kingdom',
  '536367,POST,POSTAGE,1,12/2/2010 9:00,18,17850,United Kingdom',
  'C536368,85123A,WHITE HANGING HEART T-LIGHT HOLDER,-1,12/3/2010 9:00,30.25,17850,United Kingdom',
  '536369,71053,WHITE METAL LANTERN,1,12/4/2010 9:00,10,17850,United Kingdom',
  'C536370,85123A,WHITE HANGING HEART T-LIGHT HOLDER,-1,12/5/2010 9:00,30.25,17850,United Kingdom',
  'C536370,71053,WHITE METAL LANTERN,-2,12/5/2010 9:00,10,17850,United Kingdom',
  'C536371,85123A,WHITE HANGING HEART T-LIGHT HOLDER,-1,12/6/2010 9:00,30.25,17850,United Kingdom',
  'C536372,22041,RECORD FRAME SINGLE SIZE,-10,12/7/2010 9:00,2.5,17850,United Kingdom',
  '536380,71053,WHITE METAL LANTERN,1,12/1/2010 10:00,7.5,13047,United Kingdom',
  'C536381,71053,WHITE METAL LANTERN,-1,12/1/2010 11:00,7.5,13047,United Kingdom',
  'C536382,22041,RECORD FRAME SINGLE SIZE,-2,12/1/2010 12:00,2.5,12345,France',
  '536373,22041,RECORD FRAME SINGLE SIZE,10,12/5/2010 10:00,2.5,15000,France',
  '536374,71053,WHITE METAL LANTERN,3,12/1/2010 11:00,7.5,,United Kingdom',
];
const EXPECTED: Record<string, Pick<MemberProfile, 'points' | 'lifetimePoints' | 'tier'> & { ledger: number }> = {
  c17850: { points: 30, lifetimePoints: 30, tier: 'vip', ledger: 9 },
  c13047: { points: 0, lifetimePoints: 0, tier: 'regular', ledger: 2 },
  c12345: { points: 0, lifetimePoints: 0, tier: 'regular', ledger: 0 },
  c15000: { points: 25, lifetimePoints: 25, tier: 'regular', ledger: 1 },
};
const RULES: Rules = { rates: { regular: 1, vip: 1.5, enterprise: 2 }, vip: 100, enterprise: 100_000 };

/**
 * Online Retail end to end through orders: a generated Online-Retail-shaped CSV is converted,
 * imported through a real gateway and engine (`npm start` on a private nats-server and
 * redis-server) in the README's order (items, members, orders, then the events as behaviour
 * signals), and the check's URL mode finds every customer's points, lifetime points, tier and
 * number of order statuses equal to the independent computation from the CSV. Importing again
 * (orders and events) changes nothing; the purchase events earn nothing.
 */
describe('online-retail import through the product', () => {
  const secret = 'e2e-secret-online-retail';
  const tokens = new TokenService(secret);
  let nats: TestServer;
  let redisServer: TestServer;
  let pulse: PulseProcess;
  let dir: string;
  let csv: string;
  let admin: string;

  const importFile = (kind: ImportKind, file: string): Promise<ImportSummary> =>
    importConverted(pulse.baseUrl, admin, join(dir, 'out'), kind, file);
  const profile = async (memberId: string) =>
    (await http<MemberProfile>(pulse.baseUrl, 'GET', `/v1/members/${memberId}`, { token: admin })).body;
  const ledgerLength = async (memberId: string) => {
    const token = await tokens.sign({ sub: memberId, role: 'member' }, 600);
    const page = await http<{ entries: LedgerEntry[] }>(pulse.baseUrl, 'GET', '/v1/members/me/points?limit=1', { token });
    return page.body.entries[0]?.entryId ?? 0;
  };
  const check = () =>
    checkOnlineRetailPointsRemote(csv, RULES, {
      url: pulse.baseUrl,
      token: admin,
      waitMs: 20_000,
      pollMs: 200,
      progressStream: new PassThrough().resume(),
    });

  beforeAll(async () => {
    [nats, redisServer] = await Promise.all([startNats(), startRedis()]);
    pulse = await spawnPulse('start', {
      natsUrl: nats.url,
      redisUrl: redisServer.url,
      authSecret: secret,
      env: { TIER_VIP_POINTS: '100', TIER_ENTERPRISE_POINTS: '100000', ORDER_PRICE_TOLERANCE: '10' },
    });
    admin = await tokens.sign({ sub: 'e2e-admin', role: 'admin' }, 3600);
    dir = await mkdtemp(join(tmpdir(), 'pulse-or-e2e-'));
    csv = join(dir, 'retail.csv');
    await writeFile(csv, `${HEADER}\n${ROWS.join('\n')}\n`);
    await convertOnlineRetail({ input: csv, outDir: join(dir, 'out'), progressStream: new PassThrough().resume() });
  });

  afterAll(async () => {
    await pulse?.stop();
    await Promise.all([nats?.stop(), redisServer?.stop()]);
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('gives every customer the points of the independent computation, returns included', async () => {
    expect(await importFile('items', 'items.jsonl')).toMatchObject({ accepted: 3 });
    expect((await importFile('items', 'items.jsonl')).rejects.total).toBe(0);
    const members = await importFile('members', 'members.jsonl');
    expect(members).toMatchObject({ lines: 4, accepted: 4, existing: 0 });
    expect(members.rejects.total).toBe(0);
    // Items reach the engines' catalogs through the CATALOG stream, within a second: orders are
    // checked against them, so they go in once every item is there.
    for (const itemId of ['85123A', '71053', '22041']) {
      await expect
        .poll(async () => (await http(pulse.baseUrl, 'GET', `/v1/items/${itemId}`, { token: admin })).status, { timeout: 10_000 })
        .toBe(200);
    }
    const orders = await importFile('orders', 'orders.jsonl');
    expect(orders.rejects.top(5)).toEqual([]);
    expect(orders).toMatchObject({ lines: 12, accepted: 12, existing: 0 });

    const report = await check();
    expect(report.examples).toEqual([]);
    expect(report).toMatchObject({ members: 4, mismatches: 0, missing: 0, ledgerEntries: 12 });
    for (const [memberId, want] of Object.entries(EXPECTED)) {
      const { ledger, ...balance } = want;
      expect(await profile(memberId), memberId).toMatchObject({ memberId, email: `${memberId}@online-retail.invalid`, ...balance });
      expect(await ledgerLength(memberId), memberId).toBe(ledger);
    }
    expect(await profile('c17850')).toMatchObject({ name: 'Customer 17850', createdAt: Date.UTC(2010, 11, 1, 8, 26) });
    // Imported members have no password.
    const login = await http<{ error: { code: string } }>(pulse.baseUrl, 'POST', '/v1/sessions', {
      body: { email: 'c17850@online-retail.invalid', password: 'any password' },
    });
    expect([login.status, login.body.error.code]).toEqual([401, 'invalid_credentials']);
  });

  it('npm run check:points -- --url prints 0 mismatches and exits 0; with other rules it finds mismatches and exits 1', async () => {
    const run = (env: Record<string, string>) =>
      new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
        const args = ['--import', 'tsx', 'scripts/check-online-retail-points.ts', '--input', csv, '--url', pulse.baseUrl, '--wait', '1'];
        const child = spawn(process.execPath, args, {
          env: { ...process.env, AUTH_SECRET: secret, TIER_ENTERPRISE_POINTS: '100000', ...env },
        });
        let stdout = '';
        let stderr = '';
        child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
        child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
        child.on('close', (code) => resolve({ code, stdout, stderr }));
      });
    const [right, wrong] = await Promise.all([run({ TIER_VIP_POINTS: '100' }), run({ TIER_VIP_POINTS: '1000' })]);
    expect(right.stdout, right.stderr).toContain('mismatches: 0');
    expect(right.code).toBe(0);
    // VIP at 1000: c17850 stays regular (B earns 50, not 75, and its return takes back 50), ending at 30 all the same.
    expect(wrong.stdout).toMatch(
      /mismatches: 1\n\s+c17850: pulse \{"points":30,"lifetimePoints":30,"tier":"vip","orders":9\} expected \{"points":30,"lifetimePoints":30,"tier":"regular","orders":9\}/,
    );
    expect(wrong.code).toBe(1);
  }, 60_000);

  it('changes nothing when members, orders and the purchase events are imported again: orders count once, events earn nothing', async () => {
    const before = new Map<string, unknown>();
    for (const memberId of Object.keys(EXPECTED))
      before.set(memberId, { profile: await profile(memberId), ledger: await ledgerLength(memberId) });
    const { digest } = await check();
    expect(await importFile('members', 'members.jsonl')).toMatchObject({ accepted: 4, existing: 4 });
    expect(await importFile('orders', 'orders.jsonl')).toMatchObject({ lines: 12, accepted: 12, existing: 12 });
    // Purchases and cancellations as browsers would send them: behaviour signals only.
    const events = await importFile('events', 'events.jsonl');
    expect(events).toMatchObject({ lines: 12, accepted: 12 });
    expect(await check()).toMatchObject({ mismatches: 0, ledgerEntries: 12, digest });
    // A new order per customer after all that: once it is applied, everything before it in that
    // customer's (ordered) partition has been handled too.
    for (const userId of Object.keys(EXPECTED)) {
      const sentinel = { orderId: `sentinel-${userId}`, userId, status: 'paid', lines: [{ itemId: '22041', quantity: 1, price: 2.5 }] };
      expect((await http(pulse.baseUrl, 'POST', '/v1/orders', { token: admin, body: sentinel })).status).toBe(202);
    }
    const deadline = Date.now() + 15_000;
    for (const [memberId, want] of Object.entries(EXPECTED)) {
      while ((await ledgerLength(memberId)) < want.ledger + 1) {
        if (Date.now() > deadline) throw new Error(`the sentinel of ${memberId} was not applied\n${pulse.output().slice(-3000)}`);
        await sleep(50);
      }
      const { profile: was, ledger } = before.get(memberId) as { profile: MemberProfile; ledger: number };
      expect(await ledgerLength(memberId), memberId).toBe(ledger + 1);
      // 2.5 at the tier's rate: 3 (regular), 3.75 -> 4 (VIP).
      const bonus = want.tier === 'vip' ? 4 : 3;
      expect(await profile(memberId), memberId).toEqual({ ...was, points: was.points + bonus, lifetimePoints: was.lifetimePoints + bonus });
    }
  });
});
