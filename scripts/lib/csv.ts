/**
 * RFC 4180 CSV records: a record's fields, and whether a text holds whole records yet (a quoted
 * field may span physical lines).
 */

/** A malformed CSV record: bad quoting. */
export class CsvError extends Error {
  override name = 'CsvError';
}

/**
 * True when `text` holds whole records: no quoted field is left open. A quoted field may span
 * lines (RFC 4180), so a reader joins physical lines with `\n` until this holds. Doubled quotes
 * count twice, so an even number of `"` means balanced.
 */
export function isCsvRecordComplete(text: string): boolean {
  let quotes = 0;
  for (let i = text.indexOf('"'); i !== -1; i = text.indexOf('"', i + 1)) quotes += 1;
  return quotes % 2 === 0;
}

/**
 * Fields of one RFC 4180 record (no trailing line break): comma separated; a field starting with
 * `"` is quoted, may hold commas, line breaks and doubled quotes (`""` -> `"`), and must be
 * followed by a comma or the end. A quote inside an unquoted field is kept as is (common in
 * real exports). Throws CsvError on an unterminated quoted field or text after a closing quote.
 */
export function parseCsvRecord(text: string): string[] {
  const fields: string[] = [];
  let i = 0;
  for (;;) {
    if (text[i] === '"') {
      let value = '';
      let j = i + 1;
      for (;;) {
        const q = text.indexOf('"', j);
        if (q === -1) throw new CsvError(`unterminated quoted field at column ${i + 1}`);
        value += text.slice(j, q);
        if (text[q + 1] === '"') {
          value += '"';
          j = q + 2;
          continue;
        }
        i = q + 1;
        break;
      }
      fields.push(value);
      if (i === text.length) return fields;
      if (text[i] !== ',') throw new CsvError(`unexpected text after a closing quote at column ${i + 1}`);
      i += 1;
    } else {
      const comma = text.indexOf(',', i);
      if (comma === -1) {
        fields.push(text.slice(i));
        return fields;
      }
      fields.push(text.slice(i, comma));
      i = comma + 1;
    }
  }
}
