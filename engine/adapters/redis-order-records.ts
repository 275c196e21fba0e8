import type { Redis } from 'ioredis';
import { ErrorCodes, PulseError } from '../contracts/errors.js';
import type { TierThresholds } from '../logic/tiers.js';
import type { OrderAcceptance, OrderChange } from '../ports/member-store.js';
import { luaTierAfter } from './redis-member-store.js';
import { callRedis, LuaScript } from './redis-scripts.js';

/**
 * The intake side of an order, atomically (one key, `ord:{<orderId>}`: hash of userId, `pd` the
 * paid lines' digest, per item `q:` quantity, `pr:` unit price, `rq:` quantity returned, `ret:<digest>`
 * per accepted return, `cancelled`). Semantics in ports/member-store.ts `acceptOrder`.
 * KEYS: the record. ARGV: status, userId, digest, then itemId, quantity, price per line.
 * Returns {1, prices} (new), {0, prices} (seen before) or {-1, why} (conflict, nothing written);
 * prices: flat itemId, paid unit price of the lines named.
 */
const ACCEPT_ORDER = new LuaScript(
  'accept-order',
  `local k = KEYS[1]
local status, user, digest = ARGV[1], ARGV[2], ARGV[3]
local owner = redis.call('HGET', k, 'userId')
if owner and owner ~= user then return {-1, 'it belongs to another user'} end
local function prices()
  local out = {}
  for i = 4, #ARGV, 3 do
    local p = redis.call('HGET', k, 'pr:' .. ARGV[i])
    if p then out[#out + 1] = ARGV[i]; out[#out + 1] = p end
  end
  return out
end
if status == 'paid' then
  if owner then
    if redis.call('HGET', k, 'pd') ~= digest then return {-1, 'it was paid before with other lines'} end
    return {0, prices()}
  end
  local fields = {'userId', user, 'pd', digest}
  for i = 4, #ARGV, 3 do
    fields[#fields + 1] = 'q:' .. ARGV[i]; fields[#fields + 1] = ARGV[i + 1]
    fields[#fields + 1] = 'pr:' .. ARGV[i]; fields[#fields + 1] = ARGV[i + 2]
  end
  redis.call('HSET', k, unpack(fields))
  return {1, prices()}
end
if not owner then return {-1, 'it was never paid (a ' .. status .. ' needs the paid order first)'} end
if status == 'cancelled' then
  if redis.call('HEXISTS', k, 'cancelled') == 1 then return {0, {}} end
  if #ARGV > 3 and redis.call('HGET', k, 'pd') ~= digest then return {-1, 'a cancellation names no lines or exactly the paid lines'} end
  redis.call('HSET', k, 'cancelled', '1')
  return {1, {}}
end
if redis.call('HEXISTS', k, 'ret:' .. digest) == 1 then return {0, prices()} end
if redis.call('HEXISTS', k, 'cancelled') == 1 then return {-1, 'it was cancelled'} end
for i = 4, #ARGV, 3 do
  local q = redis.call('HGET', k, 'q:' .. ARGV[i])
  if not q then return {-1, 'item ' .. ARGV[i] .. ' is not in it'} end
  local rq = tonumber(redis.call('HGET', k, 'rq:' .. ARGV[i]) or '0')
  if rq + tonumber(ARGV[i + 1]) > tonumber(q) then
    return {-1, 'item ' .. ARGV[i] .. ': ' .. ARGV[i + 1] .. ' returned, but only ' .. string.format('%d', tonumber(q) - rq) .. ' of ' .. q .. ' paid are not returned yet'}
  end
end
for i = 4, #ARGV, 3 do redis.call('HINCRBY', k, 'rq:' .. ARGV[i], ARGV[i + 1]) end
redis.call('HSET', k, 'ret:' .. digest, '1')
return {1, prices()}`,
);

/**
 * One order status of a user, atomically with the member's points (all keys share the user's hash
 * tag). The order record `m:{<userId>}:ord:<orderId>`: `paid` (its event id), per item `q:`, `pr:`,
 * `pt:` points earned, `rq:` returned, `rp:` points reversed, `e:<eventId>` per return applied,
 * `cancelled`, `a:<eventId>` the money each status moved (answered again to a repeat). The points part mirrors logic/points.ts `nextBalance` (as apply-member-points does)
 * and the reversal `reversedPoints`. KEYS: member record, ledger, order record. ARGV: status,
 * eventId, ts, orderId, vip threshold, enterprise threshold, then itemId, quantity, price, points
 * per line. Returns {0, amount then} (applied before), {-2} (no paid status yet), {1, amount} (no member) or
 * {1, amount, delta, previous tier, record}.
 */
const APPLY_ORDER = new LuaScript(
  'apply-order',
  `local rec, ord = KEYS[1], KEYS[3]
local status, eventId = ARGV[1], ARGV[2]
local isMember = redis.call('EXISTS', rec) == 1
local amount, delta = 0, 0
local function seen() return {0, redis.call('HGET', ord, 'a:' .. eventId) or '0'} end
if status == 'paid' then
  if redis.call('HEXISTS', ord, 'paid') == 1 then return seen() end
  local fields = {'paid', eventId}
  for i = 7, #ARGV, 4 do
    local earned = 0
    if isMember then earned = tonumber(ARGV[i + 3]) end
    fields[#fields + 1] = 'q:' .. ARGV[i]; fields[#fields + 1] = ARGV[i + 1]
    fields[#fields + 1] = 'pr:' .. ARGV[i]; fields[#fields + 1] = ARGV[i + 2]
    fields[#fields + 1] = 'pt:' .. ARGV[i]; fields[#fields + 1] = string.format('%d', earned)
    amount = amount + tonumber(ARGV[i + 1]) * tonumber(ARGV[i + 2])
    delta = delta + earned
  end
  redis.call('HSET', ord, unpack(fields))
else
  if redis.call('HEXISTS', ord, 'paid') == 0 then return {-2} end
  if redis.call('HEXISTS', ord, 'e:' .. eventId) == 1 then return seen() end
  if status == 'cancelled' and redis.call('HEXISTS', ord, 'cancelled') == 1 then return seen() end
  local items = {}
  if status == 'cancelled' then
    local all = redis.call('HGETALL', ord)
    for i = 1, #all, 2 do
      if string.sub(all[i], 1, 2) == 'q:' then items[#items + 1] = {string.sub(all[i], 3), tonumber(all[i + 1])} end
    end
  else
    for i = 7, #ARGV, 4 do items[#items + 1] = {ARGV[i], tonumber(ARGV[i + 1])} end
  end
  for _, item in ipairs(items) do
    local id = item[1]
    local q = tonumber(redis.call('HGET', ord, 'q:' .. id) or '0')
    if q > 0 then
      local rq = tonumber(redis.call('HGET', ord, 'rq:' .. id) or '0')
      local back = math.min(item[2], q - rq)
      local nrq = rq + back
      local pt = tonumber(redis.call('HGET', ord, 'pt:' .. id) or '0')
      local rp = tonumber(redis.call('HGET', ord, 'rp:' .. id) or '0')
      local cum = pt
      if nrq < q then cum = math.floor(pt / q) * nrq + math.floor((2 * (pt % q) * nrq + q) / (2 * q)) end
      delta = delta - (cum - rp)
      amount = amount - back * tonumber(redis.call('HGET', ord, 'pr:' .. id))
      redis.call('HSET', ord, 'rq:' .. id, string.format('%d', nrq), 'rp:' .. id, string.format('%d', cum))
    end
  end
  redis.call('HSET', ord, 'e:' .. eventId, '1')
  if status == 'cancelled' then redis.call('HSET', ord, 'cancelled', '1') end
end
redis.call('HSET', ord, 'a:' .. eventId, string.format('%.17g', amount))
if not isMember then return {1, string.format('%.17g', amount)} end
local cause = 'order'
if status ~= 'paid' then cause = 'cancellation' end
local points = math.max(0, tonumber(redis.call('HGET', rec, 'points') or '0') + delta)
local lifetime = math.max(0, tonumber(redis.call('HGET', rec, 'lifetimePoints') or '0') + delta)
${luaTierAfter('rec', 'ARGV[5]', 'ARGV[6]')}
local entryId = redis.call('LLEN', KEYS[2]) + 1
local entry = '{"entryId":' .. string.format('%d', entryId) .. ',"ts":' .. ARGV[3] .. ',"delta":' .. string.format('%d', delta)
  .. ',"balance":' .. string.format('%.17g', points) .. ',"cause":"' .. cause .. '","orderId":' .. cjson.encode(ARGV[4])
  .. ',"eventId":' .. cjson.encode(eventId) .. '}'
redis.call('RPUSH', KEYS[2], entry)
redis.call('HSET', rec, 'points', string.format('%.17g', points), 'lifetimePoints', string.format('%.17g', lifetime), 'tier', tier)
return {1, string.format('%.17g', amount), string.format('%d', delta), from, redis.call('HGETALL', rec)}`,
);

/** Raw result of the apply script, for RedisMemberStore to decode (it owns the record's format). */
export type ApplyOrderReply = { status: 'applied' | 'duplicate' | 'not_paid'; amount: number; points: number; from?: string; record?: string[] };

/** The order scripts over one Redis, with the member store's key prefix. */
export class RedisOrderRecords {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
  ) {}

  async accept(order: OrderAcceptance): Promise<{ duplicate: boolean; paidPrices: Record<string, number> }> {
    const digest = order.status === 'returned' ? (order.returnDigest ?? '') : (order.paidDigest ?? '');
    const args = [order.status, order.userId, digest];
    for (const line of order.lines) args.push(line.itemId, String(line.quantity), String(line.price));
    const reply = (await ACCEPT_ORDER.run(this.redis, [this.acceptKey(order.orderId)], args)) as [number, string[] | string];
    if (reply[0] === -1) throw new PulseError(ErrorCodes.orderConflict, `order ${order.orderId}: ${String(reply[1])}`);
    const flat = Array.isArray(reply[1]) ? reply[1] : [];
    const paidPrices: Record<string, number> = {};
    for (let i = 0; i + 1 < flat.length; i += 2) paidPrices[flat[i]!] = Number(flat[i + 1]);
    return { duplicate: reply[0] === 0, paidPrices };
  }

  /** Two reads (the keys live on different slots): applied first, then accepted. */
  async paidState(userId: string, orderId: string): Promise<'applied' | 'accepted' | 'unknown'> {
    if ((await callRedis('read order record', () => this.redis.hexists(this.appliedKey(userId, orderId), 'paid'))) === 1) return 'applied';
    return (await callRedis('read order record', () => this.redis.hexists(this.acceptKey(orderId), 'userId'))) === 1 ? 'accepted' : 'unknown';
  }

  async apply(userId: string, keys: { record: string; ledger: string }, change: OrderChange, thresholds: TierThresholds): Promise<ApplyOrderReply> {
    const args = [change.status, change.eventId, String(change.ts), change.orderId, String(thresholds.vip), String(thresholds.enterprise)];
    for (const line of change.lines) args.push(line.itemId, String(line.quantity), String(line.price), String(line.points ?? 0));
    const reply = (await APPLY_ORDER.run(this.redis, [keys.record, keys.ledger, this.appliedKey(userId, change.orderId)], args)) as [number, string?, string?, string?, string[]?];
    if (reply[0] === -2) return { status: 'not_paid', amount: 0, points: 0 };
    if (reply[0] === 0) return { status: 'duplicate', amount: Number(reply[1] ?? 0), points: 0 };
    return { status: 'applied', amount: Number(reply[1] ?? 0), points: Number(reply[2] ?? 0), ...(reply[3] !== undefined ? { from: reply[3] } : {}), ...(reply[4] ? { record: reply[4] } : {}) };
  }

  private acceptKey(orderId: string): string {
    return `${this.prefix}ord:{${orderId}}`;
  }

  private appliedKey(userId: string, orderId: string): string {
    return `${this.prefix}m:{${userId}}:ord:${orderId}`;
  }
}
