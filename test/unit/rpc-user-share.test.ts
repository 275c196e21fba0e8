import { describe, expect, it } from 'vitest';
import type { PulseError } from '../../engine/contracts/errors.js';
import { RpcScheduler, userConcurrencyOf, type RpcJob } from '../../engine/platform/rpc-scheduler.js';

/** A job that runs until `finish()` is called; records when it started or how it was refused. */
function job(user: string, deadline = Number.POSITIVE_INFINITY) {
  let finish!: () => void;
  const done = new Promise<void>((resolve) => (finish = resolve));
  const state = { started: false, refused: undefined as PulseError | undefined, finish: () => finish() };
  const rpcJob: RpcJob = {
    method: 'recommend',
    user,
    deadline,
    run: async () => {
      state.started = true;
      await done;
    },
    refuse: (error) => {
      state.refused = error;
    },
  };
  return { rpcJob, state };
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('rpc scheduler: one user holds at most a quarter of the handler slots', () => {
  it('keeps slots free for other users while one floods, and gives the flood the next slot it frees', async () => {
    expect(userConcurrencyOf(32)).toBe(8);
    expect(userConcurrencyOf(1)).toBe(1);
    const scheduler = new RpcScheduler({ concurrency: 8, queueLimit: 100, userQueueLimit: 50 });
    const flood = Array.from({ length: 20 }, () => job('u:flooder'));
    for (const f of flood) scheduler.submit(f.rpcJob);
    await tick();
    expect(flood.filter((f) => f.state.started)).toHaveLength(2);
    // Another shopper starts at once: the flood does not hold the slots.
    const other = job('u:shopper');
    scheduler.submit(other.rpcJob);
    await tick();
    expect(other.state.started).toBe(true);
    // One of the flood's finishes: the next of the flood takes its place, still 2 at once.
    flood[0]!.state.finish();
    await tick();
    await tick();
    expect(flood.filter((f) => f.state.started)).toHaveLength(3);
    expect(flood.filter((f) => f.state.started && f !== flood[0])).toHaveLength(2);
    for (const f of [...flood, other]) f.state.finish();
    for (let i = 0; i < 40; i++) {
      await tick();
      for (const f of flood) if (f.state.started) f.state.finish();
    }
    await scheduler.idle();
    expect(flood.every((f) => f.state.started)).toBe(true);
  });

  it('does not cap requests made for no user (keyed by method)', async () => {
    const scheduler = new RpcScheduler({ concurrency: 8, queueLimit: 100, userQueueLimit: 50 });
    const jobs = Array.from({ length: 10 }, () => job('catalog.upsert'));
    for (const j of jobs) scheduler.submit(j.rpcJob);
    await tick();
    expect(jobs.filter((j) => j.state.started)).toHaveLength(8);
    for (const j of jobs) j.state.finish();
    for (let i = 0; i < 10; i++) {
      await tick();
      for (const j of jobs) if (j.state.started) j.state.finish();
    }
    await scheduler.idle();
  });

  it('drops a capped user’s requests that expire while they wait, and does not stall on them', async () => {
    const scheduler = new RpcScheduler({ concurrency: 4, queueLimit: 100, userQueueLimit: 50 });
    const running = job('u:a');
    scheduler.submit(running.rpcJob);
    const expiring = job('u:a', Date.now() + 20);
    const later = job('u:a');
    scheduler.submit(expiring.rpcJob);
    scheduler.submit(later.rpcJob);
    await tick();
    expect([running.state.started, expiring.state.started, later.state.started]).toEqual([true, false, false]);
    await new Promise((resolve) => setTimeout(resolve, 40));
    running.state.finish();
    for (let i = 0; i < 5 && !later.state.started; i++) await tick();
    expect(expiring.state.started).toBe(false);
    expect(later.state.started).toBe(true);
    later.state.finish();
    await scheduler.idle();
  });
});
