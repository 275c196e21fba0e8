/**
 * Redis Cluster hash slots, computed the way the cluster does (CRC16-XMODEM of the hash tag, mod
 * 16384), and for every slot a short tag that hashes to it. An index bucket keyed
 * `...:{<slotTag(keySlot(id))>}` lives on the same slot as `...:{<id>}:...`, so a script can write a
 * record and its index entry together and still run on one slot.
 */

export const SLOTS = 16384;

const TABLE = (() => {
  const table = new Uint16Array(256);
  for (let byte = 0; byte < 256; byte++) {
    let crc = byte << 8;
    for (let bit = 0; bit < 8; bit++) crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
    table[byte] = crc;
  }
  return table;
})();

/** The slot of a key whose hash tag (the text inside its first `{...}`) is `tag`. */
export function keySlot(tag: string): number {
  let crc = 0;
  for (const byte of Buffer.from(tag, 'utf8')) crc = ((crc << 8) & 0xffff) ^ TABLE[((crc >> 8) ^ byte) & 0xff]!;
  return crc % SLOTS;
}

let tags: string[] | undefined;

/**
 * A tag (1 to 4 base-36 characters) whose slot is `slot`: the first such in counting order 0, 1,
 * ..., z, 10, ... (about 90,000 strings to cover every slot; built once, on first use).
 */
export function slotTag(slot: number): string {
  if (!tags) {
    const found = new Array<string>(SLOTS);
    let filled = 0;
    for (let n = 0; filled < SLOTS; n++) {
      const tag = n.toString(36);
      const at = keySlot(tag);
      if (found[at] === undefined) {
        found[at] = tag;
        filled++;
      }
    }
    tags = found;
  }
  const tag = tags[slot];
  if (tag === undefined) throw new RangeError(`slot must be an integer in 0..${SLOTS - 1}, got ${slot}`);
  return tag;
}
